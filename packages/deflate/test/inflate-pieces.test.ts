import { Rsv1, type WebSocketError } from '@ws/core';
import { deflate } from '@ws/deflate';
import { RawClient } from './helpers/raw-client';
import { PeerDeflater, PeerInflater, sample, TRAILER } from './helpers/peer-zlib';
import { startEchoServer, type TestServer } from './helpers/server';

/**
 * Compressed frames inflated as they arrive, over real sockets with a bare TCP client (core
 * hands the codec each piece of a frame; RFC 6455 §8.1, Autobahn 6.4.3-6.4.4 with
 * permessage-deflate): invalid UTF-8 fails with 1007 once the inflated bytes show it, a message
 * too big with 1009 once the inflated bytes pass maxPayload, both before the frame is complete;
 * valid messages cut anywhere arrive intact.
 */

const TEXT = 0x1;
const CONTINUATION = 0x0;
const PING = 0x9;
/** Long enough for the server to read each write on its own, short against the wait below. */
const PAUSE_MS = 100;
/** How long the client waits for the close frame before it sends the rest anyway (a loaded machine). */
const CLOSE_WAIT_MS = 5000;

const VALID = Buffer.from('κόσμε', 'utf8');

let server: TestServer | null = null;
let client: RawClient | null = null;
let peer: PeerDeflater | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  peer?.close();
  peer = null;
  await server?.close();
  server = null;
});

async function open(maxPayload?: number): Promise<RawClient> {
  server = await startEchoServer({ extensions: [deflate({})], ...(maxPayload ? { maxPayload } : {}) });
  client = await RawClient.connect(server.url, 'permessage-deflate');
  client.socket.setNoDelay(true);
  return client;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One sync-flushed piece of the peer's DEFLATE stream, trailer kept: decodable on its own. */
async function flushed(bytes: Buffer): Promise<Buffer> {
  return Buffer.concat([await peer!.compress(bytes), TRAILER]);
}

/**
 * Writes the three parts with a pause after the first; expects the close frame with `code` after
 * the second, waiting up to CLOSE_WAIT_MS, and only then writes the third (which must change nothing).
 */
async function expectClosedBeforeThirdWrite(raw: RawClient, parts: Buffer[], code: number): Promise<void> {
  raw.write(parts[0]);
  await delay(PAUSE_MS);
  expect(await raw.closeCodeWithin(1)).toBeNull(); // valid so far: nothing said yet
  raw.write(parts[1]);
  const answer = await raw.closeCodeWithin(CLOSE_WAIT_MS);
  if (answer === null && !raw.socket.destroyed) raw.write(parts[2]);
  expect(answer).toBe(code);
}

/** The next data message the server echoes, inflated when it came compressed. */
async function nextMessage(raw: RawClient, inflater: PeerInflater): Promise<Buffer> {
  const frames = [];
  for (;;) {
    const frame = await raw.nextFrame();
    if (frame === null) throw new Error('connection ended');
    if (frame.opcode >= 0x8) continue;
    frames.push(frame);
    if (frame.fin) break;
  }
  const payload = Buffer.concat(frames.map((f) => f.payload));
  return (frames[0].rsv & Rsv1) !== 0 ? inflater.decompress(payload) : payload;
}

function serverErrorCodes(): string[] {
  return server!.errors.map((e) => (e as WebSocketError).code);
}

describe('RFC 6455 §8.1 with permessage-deflate: invalid UTF-8 inside one compressed frame', () => {
  it('closes 1007 after the middle write of three (its inflated bytes complete the invalid sequence)', async () => {
    const raw = await open();
    peer = new PeerDeflater();
    // ED alone could still begin valid text (ED 9F BF); the A0 after it, in the middle write, cannot.
    const first = await flushed(Buffer.concat([VALID, Buffer.from([0xed])]));
    const second = await flushed(Buffer.from([0xa0, 0x80, 0x65]));
    const third = await peer.compress(Buffer.from('dited'));
    const wire = RawClient.frame(TEXT, Buffer.concat([first, second, third]), { rsv: Rsv1 });
    const start = wire.length - first.length - second.length - third.length;
    const a = start + first.length;
    const b = a + second.length;
    await expectClosedBeforeThirdWrite(raw, [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)], 1007);
    expect(serverErrorCodes()).toEqual(['WS_ERR_INVALID_UTF8']);
  });

  it('closes 1007 in a 200 KB frame compressed in one go, the invalid byte inflated from the middle write', async () => {
    const raw = await open();
    peer = new PeerDeflater();
    const text = sample(200_000, 3);
    text[100_000] = 0xff; // never valid in UTF-8
    const payload = await peer.compress(text);
    const wire = RawClient.frame(TEXT, payload, { rsv: Rsv1 });
    const start = wire.length - payload.length;
    // The inflated position of a byte tracks its compressed one closely in uniform text: the
    // middle write, 30% to 70% of the stream, holds the one at 50%.
    const a = start + Math.floor(payload.length * 0.3);
    const b = start + Math.floor(payload.length * 0.7);
    await expectClosedBeforeThirdWrite(raw, [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)], 1007);
    expect(serverErrorCodes()).toEqual(['WS_ERR_INVALID_UTF8']);
  });

  it('closes 1007 inside a compressed continuation frame still arriving', async () => {
    const raw = await open();
    peer = new PeerDeflater();
    raw.send(TEXT, await flushed(Buffer.from('start ')), { fin: false, rsv: Rsv1 });
    const first = await flushed(VALID);
    const second = await flushed(Buffer.from([0xed, 0xa0, 0x80]));
    const third = await peer.compress(Buffer.from('edited'));
    const wire = RawClient.frame(CONTINUATION, Buffer.concat([first, second, third]));
    const a = wire.length - second.length - third.length;
    const b = a + second.length;
    await expectClosedBeforeThirdWrite(raw, [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)], 1007);
  });
});

describe('maxPayload while a compressed frame arrives', () => {
  it('closes 1009 once the inflated bytes pass maxPayload, before the rest of the frame is sent', async () => {
    const limit = 64 * 1024;
    const raw = await open(limit);
    peer = new PeerDeflater();
    // 1 MiB of zeros is about 1 KiB compressed: under the limit on the wire, far over it inflated.
    const payload = await peer.compress(Buffer.alloc(1 << 20));
    expect(payload.length).toBeLessThan(limit);
    const wire = RawClient.frame(TEXT, payload, { rsv: Rsv1 });
    // The header and two bytes (no output yet), then up to half the stream (about 512 KiB inflated).
    const start = wire.length - payload.length;
    const a = start + 2;
    const b = start + Math.floor(payload.length / 2);
    await expectClosedBeforeThirdWrite(raw, [wire.subarray(0, a), wire.subarray(a, b), wire.subarray(b)], 1009);
    expect(server!.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^decompressed message over 65536 bytes/),
    ]);
  });
});

describe('valid compressed messages cut anywhere arrive intact', () => {
  it('a 50 KB text message in 25 writes, then another whole: both echoed in order', async () => {
    const raw = await open();
    peer = new PeerDeflater();
    const inflater = new PeerInflater();
    const text = Buffer.from('κόσμε '.repeat(2000) + sample(30_000, 4).toString('latin1'), 'utf8');
    const wire = RawClient.frame(TEXT, await peer.compress(text), { rsv: Rsv1 });
    const size = Math.ceil(wire.length / 25);
    for (let i = 0; i < wire.length; i += size) {
      raw.write(wire.subarray(i, i + size));
      await delay(5);
    }
    const next = sample(3000, 5);
    raw.send(TEXT, await peer.compress(next), { rsv: Rsv1 });
    expect((await nextMessage(raw, inflater)).equals(text)).toBe(true);
    expect((await nextMessage(raw, inflater)).equals(next)).toBe(true);
    inflater.close();
  });

  it('a compressed message sent one byte per write', async () => {
    const raw = await open();
    peer = new PeerDeflater();
    const inflater = new PeerInflater();
    const text = Buffer.from('héllo wörld, '.repeat(40) + sample(2000, 6).toString('latin1'), 'utf8');
    const wire = RawClient.frame(TEXT, await peer.compress(text), { rsv: Rsv1 });
    for (let i = 0; i < wire.length; i++) {
      raw.write(wire.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await nextMessage(raw, inflater)).equals(text)).toBe(true);
    inflater.close();
  });

  it('fragments in pieces with a ping between them: the pong first, then the message', async () => {
    const raw = await open();
    peer = new PeerDeflater();
    const inflater = new PeerInflater();
    const text = sample(20_000, 7);
    const payload = await peer.compress(text);
    const cut = Math.floor(payload.length / 2);
    const first = RawClient.frame(TEXT, payload.subarray(0, cut), { fin: false, rsv: Rsv1 });
    const second = RawClient.frame(CONTINUATION, payload.subarray(cut));
    raw.write(first.subarray(0, 100));
    await delay(20);
    raw.write(first.subarray(100));
    raw.send(PING, Buffer.from('between'));
    raw.write(second.subarray(0, 50));
    await delay(20);
    raw.write(second.subarray(50));
    const pong = await raw.nextFrame();
    expect([pong?.opcode, pong?.payload.toString()]).toEqual([0xa, 'between']);
    expect((await nextMessage(raw, inflater)).equals(text)).toBe(true);
    inflater.close();
  });
});
