import { isToken } from '../handshake/tokens';
import { HandshakeError } from './handshake-error';

/** The status line and headers of an HTTP/1.1 response; header names lower-cased, repeats kept in order. */
export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
}

/** A response head past this is refused (Node's own default limit for HTTP headers). */
export const MAX_HEAD_BYTES = 16 * 1024;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-5]\d\d)(?: ([^\r\n]*))?$/;

/**
 * Reads an HTTP response head from socket chunks cut anywhere, sans-I/O: `push` returns null
 * until the blank line has come, then the head and the bytes after it (frames the server sent
 * right behind its 101). Bytes go into one fixed buffer and each is scanned once, so a server
 * trickling a byte per packet costs linear time, and a head past 16 KiB fails rather than grows.
 */
export class ResponseHeadReader {
  private readonly buffer = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  private used = 0;

  /** Throws a HandshakeError (ERR_WS_RESPONSE) for a head too long or malformed. */
  push(chunk: Buffer): { head: ResponseHead; rest: Buffer } | null {
    const before = this.used;
    const take = Math.min(chunk.length, MAX_HEAD_BYTES - before);
    chunk.copy(this.buffer, before, 0, take);
    this.used += take;
    // The terminator may straddle the previous chunk: look back 3 bytes.
    const end = this.buffer.subarray(0, this.used).indexOf('\r\n\r\n', Math.max(0, before - 3), 'latin1');
    if (end === -1) {
      if (this.used === MAX_HEAD_BYTES) {
        throw new HandshakeError('ERR_WS_RESPONSE', `handshake response head is over ${MAX_HEAD_BYTES} bytes`);
      }
      return null;
    }
    const head = parseHead(this.buffer.toString('latin1', 0, end));
    return { head, rest: chunk.subarray(end + 4 - before) };
  }
}

function malformed(what: string): HandshakeError {
  return new HandshakeError('ERR_WS_RESPONSE', `malformed handshake response: ${what}`);
}

/** Parses `HTTP/1.1 101 Reason` and `Name: value` lines (RFC 9112 §4, §5); obsolete line folding is refused. */
export function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const status = STATUS_LINE.exec(lines[0]);
  if (status === null) throw malformed(`status line ${JSON.stringify(lines[0].slice(0, 80))}`);
  const headers = new Map<string, string[]>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    if (!isToken(name)) throw malformed(`header line ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    if (/[\0\r\n]/.test(value)) throw malformed(`control character in header ${name}`);
    const key = name.toLowerCase();
    const values = headers.get(key);
    if (values === undefined) headers.set(key, [value]);
    else values.push(value);
  }
  return { status: Number(status[1]), reason: status[2] ?? '', headers };
}
