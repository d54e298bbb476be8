import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { Rsv1, type WebSocketError } from '@ws/core';
import { deflate, type DeflateOptions } from '@ws/deflate';
import { RawClient } from './helpers/raw-client';
import { buildBomb, PeerDeflater, PeerInflater, sample, TRAILER } from './helpers/peer-zlib';
import { startEchoServer, type TestServer } from './helpers/server';

/**
 * The bytes on the wire, seen by a bare TCP client: RSV1 placement, the trailer, window 8 with
 * a strict peer, and hostile compressed input (bombs, corrupt streams).
 */

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;

let server: TestServer | null = null;
let client: RawClient | null = null;

afterEach(async () => {
  client?.destroy();
  client = null;
  await server?.close();
  server = null;
});

async function open(options: DeflateOptions, offer = 'permessage-deflate', maxPayload?: number): Promise<RawClient> {
  server = await startEchoServer({
    extensions: [deflate(options)],
    maxFrameSize: 4096,
    ...(maxPayload ? { maxPayload } : {}),
  });
  client = await RawClient.connect(server.url, offer);
  return client;
}

/** The frames of the next data message. */
async function nextMessageFrames(
  raw: RawClient,
): Promise<{ opcode: number; fin: boolean; rsv: number; payload: Buffer }[]> {
  const frames = [];
  for (;;) {
    const frame = await raw.nextFrame();
    if (frame === null) throw new Error('connection ended');
    if (frame.opcode >= 0x8) continue;
    frames.push(frame);
    if (frame.fin) return frames;
  }
}

describe('RFC 7692 §6: RSV1 and the trailer on the wire', () => {
  it('the response names the agreed parameters', async () => {
    const raw = await open({ serverMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits');
    expect(raw.responseHead).toMatch(
      /\r\nsec-websocket-extensions: permessage-deflate; server_max_window_bits=10; client_max_window_bits=12(\r\n|$)/i,
    );
  });

  it('sets RSV1 on the first frame of a compressed message only, and its payload inflates', async () => {
    const raw = await open({ threshold: 0 });
    const message = Buffer.concat([sample(20_000, 1), zlib.deflateRawSync(sample(10_000, 2))]); // some of it incompressible
    raw.send(BINARY, message);
    const frames = await nextMessageFrames(raw);
    expect(frames.length).toBeGreaterThan(1); // maxFrameSize 4096
    expect(frames[0].rsv).toBe(Rsv1);
    expect(frames[0].opcode).toBe(BINARY);
    for (const frame of frames.slice(1)) {
      expect(frame.rsv).toBe(0);
      expect(frame.opcode).toBe(CONTINUATION);
    }
    const payload = Buffer.concat(frames.map((f) => f.payload));
    expect(payload.subarray(-4).equals(TRAILER)).toBe(false);
    const peer = new PeerInflater();
    expect((await peer.decompress(payload)).equals(message)).toBe(true);
    peer.close();
  });

  it('sends small messages with RSV1 clear', async () => {
    const raw = await open({ threshold: 100 });
    raw.send(TEXT, Buffer.from('short'));
    const [frame] = await nextMessageFrames(raw);
    expect(frame.rsv).toBe(0);
    expect(frame.payload.toString()).toBe('short');
  });

  it('server_max_window_bits=8: a strict 256-byte-window peer inflates every message', async () => {
    const raw = await open({ threshold: 0 }, 'permessage-deflate; server_max_window_bits=8');
    const block = sample(300, 3);
    const peer = new PeerInflater({ windowBits: 8 });
    for (const message of [block, block, Buffer.concat([block, sample(100, 4), block])]) {
      raw.send(BINARY, message);
      const frames = await nextMessageFrames(raw);
      expect(frames[0].rsv).toBe(Rsv1);
      expect((await peer.decompress(Buffer.concat(frames.map((f) => f.payload)))).equals(message)).toBe(true);
    }
    peer.close();
  });

  it('inflates a compressed message the client fragmented, with a ping in between', async () => {
    const raw = await open({ threshold: 1 << 20 });
    const peer = new PeerDeflater();
    const message = sample(10_000, 5);
    const payload = await peer.compress(message);
    raw.send(TEXT, payload.subarray(0, 10), { fin: false, rsv: Rsv1 });
    raw.send(0x9, Buffer.from('ping'));
    raw.send(CONTINUATION, payload.subarray(10, 11), { fin: false });
    raw.send(CONTINUATION, payload.subarray(11), { fin: true });
    const pong = await raw.nextFrame();
    expect(pong?.opcode).toBe(0xa);
    const frames = await nextMessageFrames(raw);
    expect(frames[0].rsv).toBe(0); // the echo, 10 000 bytes, is under the 1 MiB threshold
    expect(Buffer.concat(frames.map((f) => f.payload)).equals(message)).toBe(true);
    peer.close();
  });
});

describe('hostile compressed input', () => {
  it('refuses a corrupt DEFLATE stream with 1007', async () => {
    const raw = await open({});
    raw.send(BINARY, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]), { rsv: Rsv1 });
    expect(await raw.closeCode()).toBe(1007);
    expect(server!.errors.map((e) => (e as WebSocketError).code)).toEqual(['WS_ERR_INVALID_COMPRESSED_DATA']);
  });

  it('refuses invalid UTF-8 in the second frame of a compressed text message before the third is sent', async () => {
    const raw = await open({});
    const peer = new PeerDeflater();
    // One DEFLATE stream across the frames: each piece ends with a sync flush, the last without its trailer.
    const first = Buffer.concat([await peer.compress(Buffer.from('κόσμε')), TRAILER]);
    const second = Buffer.concat([await peer.compress(Buffer.from([0xed, 0xa0, 0x80, 0x65])), TRAILER]);
    const third = await peer.compress(Buffer.from('dited'));
    raw.send(TEXT, first, { fin: false, rsv: Rsv1 });
    raw.send(CONTINUATION, second, { fin: false });
    expect(await raw.closeCode()).toBe(1007);
    raw.send(CONTINUATION, third);
    expect(server!.errors.map((e) => (e as WebSocketError).code)).toEqual(['WS_ERR_INVALID_UTF8']);
    peer.close();
  });

  it('refuses RSV1 on a continuation frame with 1002 (core: first frame only)', async () => {
    const raw = await open({});
    const payload = zlib.deflateRawSync(sample(100));
    raw.send(BINARY, payload.subarray(0, 5), { fin: false, rsv: Rsv1 });
    raw.send(CONTINUATION, payload.subarray(5), { rsv: Rsv1 });
    expect(await raw.closeCode()).toBe(1002);
  });

  it.each([1, 8])('refuses a 1 GiB bomb in %d frame(s) with 1009, while RSS stays flat', async (frameCount) => {
    const bomb = await buildBomb(1024);
    expect(bomb.length).toBeLessThan(1.1 * 1024 * 1024);
    const raw = await open({}, 'permessage-deflate', 4 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 2);
    try {
      const size = Math.ceil(bomb.length / frameCount);
      for (let i = 0; i < frameCount; i++) {
        const last = i === frameCount - 1;
        raw.send(i === 0 ? BINARY : CONTINUATION, bomb.subarray(i * size, (i + 1) * size), {
          fin: last,
          rsv: i === 0 ? Rsv1 : 0,
        });
      }
      expect(await raw.closeCode()).toBe(1009);
      peak = Math.max(peak, process.memoryUsage().rss);
    } finally {
      clearInterval(sampler);
    }
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
    // Refused by the inflater, not by the frame header: the compressed frames are under maxPayload.
    expect(server!.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^decompressed message over 4194304 bytes/),
    ]);
  });

  it('counts a compressed message against maxPayload as received too: incompressible data at the limit gets 1009', async () => {
    const limit = 16 * 1024;
    const raw = await open({}, 'permessage-deflate', limit);
    const incompressible = zlib
      .deflateRawSync(randomBytes(limit), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
      .subarray(0, -4);
    expect(incompressible.length).toBeGreaterThan(limit);
    raw.send(BINARY, incompressible, { rsv: Rsv1 });
    expect(await raw.closeCode()).toBe(1009);
    // Refused from the frame header, before the inflater saw a byte.
    expect(server!.errors.map((e) => e.message)).toEqual([`message over ${limit} bytes`]);
  });

  it('delivers a compressed message of exactly maxPayload bytes once inflated', async () => {
    const limit = 16 * 1024;
    const raw = await open({ threshold: 0 }, 'permessage-deflate', limit);
    const message = sample(limit, 9);
    const peer = new PeerDeflater();
    raw.send(BINARY, await peer.compress(message), { rsv: Rsv1 });
    const inflater = new PeerInflater();
    const echo = await inflater.decompress(Buffer.concat((await nextMessageFrames(raw)).map((f) => f.payload)));
    expect(echo.equals(message)).toBe(true);
    peer.close();
    inflater.close();
  });

  it('a bomb does not stop other connections', async () => {
    const raw = await open({ threshold: 0 }, 'permessage-deflate', 4 * 1024 * 1024);
    const other = await RawClient.connect(server!.url, 'permessage-deflate');
    try {
      raw.send(BINARY, await buildBomb(256), { rsv: Rsv1 });
      const peer = new PeerDeflater();
      const message = sample(5000, 6);
      other.send(TEXT, await peer.compress(message), { rsv: Rsv1 });
      const frames = await nextMessageFrames(other);
      const inflater = new PeerInflater();
      expect((await inflater.decompress(Buffer.concat(frames.map((f) => f.payload)))).equals(message)).toBe(true);
      expect(await raw.closeCode()).toBe(1009);
      peer.close();
      inflater.close();
    } finally {
      other.destroy();
    }
  });
});
