/**
 * A self-signed certificate for 127.0.0.1, made at test time with node:crypto alone (no openssl,
 * no files): an EC P-256 key and a minimal X.509 v3 certificate, DER-encoded by hand and signed
 * with ECDSA-SHA256. It carries subjectAltName IP:127.0.0.1, so a client can verify it with
 * `ca: cert` instead of turning verification off.
 */
import * as crypto from 'node:crypto';

/** DER: tag, length, content (X.690 §8.1). */
function der(tag: number, content: Buffer): Buffer {
  const length = content.length;
  let lengthBytes: Buffer;
  if (length < 0x80) lengthBytes = Buffer.from([length]);
  else if (length < 0x100) lengthBytes = Buffer.from([0x81, length]);
  else lengthBytes = Buffer.from([0x82, length >> 8, length & 0xff]);
  return Buffer.concat([Buffer.from([tag]), lengthBytes, content]);
}

const sequence = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => der(0x31, Buffer.concat(items));
const integer = (bytes: Buffer): Buffer =>
  der(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const utf8String = (text: string): Buffer => der(0x0c, Buffer.from(text, 'utf8'));
const octetString = (bytes: Buffer): Buffer => der(0x04, bytes);
const bitString = (bytes: Buffer): Buffer => der(0x03, Buffer.concat([Buffer.from([0]), bytes]));
const explicit = (n: number, content: Buffer): Buffer => der(0xa0 + n, content);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes = [parts[0] * 40 + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk = [part & 0x7f];
    for (let rest = part >> 7; rest > 0; rest >>= 7) chunk.unshift((rest & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  return der(0x17, Buffer.from(text, 'latin1'));
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const SUBJECT_ALT_NAME = '2.5.29.17';

/** A positive serial whose first byte is neither 0 nor >= 0x80: always a minimal DER INTEGER. */
function serialNumber(): Buffer {
  const serial = crypto.randomBytes(8);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  return serial;
}

/** A fresh key and self-signed certificate, both PEM. */
export function selfSignedCertificate(host = '127.0.0.1'): { key: string; cert: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const name = sequence(set(sequence(oid(COMMON_NAME), utf8String(host))));
  const algorithm = sequence(oid(ECDSA_WITH_SHA256));
  const now = Date.now();
  const ip = Buffer.from(host.split('.').map(Number));
  const altNames = sequence(der(0x87, ip)); // [7] iPAddress
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serialNumber()),
    algorithm,
    name,
    sequence(utcTime(new Date(now - 60_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(sequence(oid(SUBJECT_ALT_NAME), octetString(altNames)))),
  );
  const signature = crypto.sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const certificate = sequence(tbs, algorithm, bitString(signature));
  const body = certificate
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    cert: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
  };
}
