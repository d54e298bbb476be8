import zlib from 'node:zlib';
import fc from 'fast-check';
import { Rsv1, type WebSocketError } from '@ws/core';
import { deflate } from '@ws/deflate';
import * as zlibStream from '../src/zlib-stream';
import { decodeFrame, decodeMessage, encode, makeCodec, rejection, split } from './helpers/codec';
import { PeerDeflater, PeerInflater, TRAILER, sample } from './helpers/peer-zlib';

const TEXT = { binary: false, compress: true };
const NO_TAKEOVER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

/** Calls `start(done)` and says whether `done` ran before `start` returned. */
function callsBackAtOnce(start: (done: () => void) => void): boolean {
  let called = false;
  start(() => {
    called = true;
  });
  return called;
}

describe('syncLimit: small messages on the main thread', () => {
  it('compresses and inflates a message up to syncLimit at once, with no limiter slot', async () => {
    const extension = deflate({ concurrency: 5 });
    const codec = makeCodec(extension);
    const message = sample(20_000);
    let output: Buffer | null = null;
    expect(
      callsBackAtOnce((done) =>
        codec.encode(message, 0, TEXT, (error, payload, rsv) => {
          expect(error).toBeNull();
          expect(rsv).toBe(Rsv1);
          output = payload;
          done();
        }),
      ),
    ).toBe(true);
    expect(extension.limiter.running).toBe(0);
    const inflater = new PeerInflater();
    expect((await inflater.decompress(output!)).equals(message)).toBe(true);
    inflater.close();

    const peer = new PeerDeflater({ windowBits: 12 });
    const payload = await peer.compress(message);
    let inflated: Buffer | null = null;
    expect(
      callsBackAtOnce((done) =>
        codec.decode(payload, Rsv1, true, (error, result) => {
          expect(error).toBeNull();
          inflated = result;
          done();
        }),
      ),
    ).toBe(true);
    expect(inflated!.equals(message)).toBe(true);
    // A copy of its own length, not a view into a larger zlib chunk.
    expect(inflated!.buffer.byteLength).toBeLessThan(64 * 1024);
    peer.close();
    codec.dispose();
  });

  it.each<[string, number, number]>([
    ['syncLimit 0: everything on the thread pool', 0, 100],
    ['over syncLimit: on the thread pool', 1000, 1001],
  ])('%s', async (_label, syncLimit, length) => {
    const codec = makeCodec({ syncLimit, threshold: 0 });
    const message = sample(length);
    const encoded = new Promise<Buffer | null>((resolve) => {
      expect(
        callsBackAtOnce((done) =>
          codec.encode(message, 0, TEXT, (_e, payload) => {
            done();
            resolve(payload);
          }),
        ),
      ).toBe(false);
    });
    const inflater = new PeerInflater({ windowBits: 12 });
    expect((await inflater.decompress((await encoded)!)).equals(message)).toBe(true);
    inflater.close();
    const peer = new PeerDeflater({ windowBits: 12 });
    const compressed = await peer.compress(message);
    const decoded = new Promise<Buffer | null>((resolve) => {
      expect(
        callsBackAtOnce((done) =>
          codec.decode(compressed, Rsv1, true, (_e, payload) => {
            done();
            resolve(payload);
          }),
        ),
      ).toBe(false);
    });
    expect((await decoded)!.equals(message)).toBe(true);
    peer.close();
    codec.dispose();
  });

  it('keeps the context across messages that alternate between the main thread and the pool', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 9000 }), fc.array(fc.integer({ min: 0, max: 2500 }), { maxLength: 4 })),
          { minLength: 1, maxLength: 6 },
        ),
        async (messages) => {
          // Messages and pieces over 3000 bytes go to the pool, the rest are done at once.
          const codec = makeCodec({ syncLimit: 3000, threshold: 0, serverMaxWindowBits: 15, clientMaxWindowBits: 15 });
          const peerDeflater = new PeerDeflater();
          const peerInflater = new PeerInflater();
          try {
            for (const [length, cuts] of messages) {
              const message = sample(length, length % 3); // similar messages: back-references across them
              const inbound = await peerDeflater.compress(message);
              expect((await decodeMessage(codec, split(inbound, cuts))).equals(message)).toBe(true);
              const { payload } = await encode(codec, message);
              expect((await peerInflater.decompress(payload)).equals(message)).toBe(true);
            }
          } finally {
            peerDeflater.close();
            peerInflater.close();
            codec.dispose();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each<[string, boolean]>([
    ['at the end of the message', true],
    ['in a frame of a longer message', false],
  ])(
    'a small piece that inflates past 256 KiB %s: the rest of it on the thread pool, output whole',
    async (_l, fin) => {
      const codec = makeCodec();
      const peer = new PeerDeflater({ windowBits: 12 });
      const big = Buffer.alloc(1 << 20, sample(1000));
      const compressed = await peer.compress(big);
      expect(compressed.length).toBeLessThan(32 * 1024); // under syncLimit: starts on the main thread
      let returned = false;
      const output = new Promise<Buffer>((resolve, reject) => {
        codec.decode(compressed, Rsv1, fin, (error, payload) => {
          if (!returned) reject(new Error('called back before decode returned'));
          else if (error !== null || payload === null) reject(error ?? new Error('no payload'));
          else resolve(payload);
        });
        returned = true;
      });
      expect((await output).equals(big)).toBe(true);
      if (!fin) expect((await decodeFrame(codec, Buffer.alloc(0), true)).length).toBe(0);
      // The context went on: a message referring back into the last one inflates.
      const next = Buffer.alloc(3000, sample(1000));
      expect((await decodeMessage(codec, [await peer.compress(next)])).equals(next)).toBe(true);
      peer.close();
      codec.dispose();
    },
  );

  it('a small piece that inflates past maxPayload fails at once with 1009, its stream freed', () => {
    const streams: zlibStream.OwnedStream[] = [];
    const create = zlibStream.createOwnedStream;
    const spy = jest.spyOn(zlibStream, 'createOwnedStream').mockImplementation((kind, options) => {
      const stream = create(kind, options);
      streams.push(stream);
      return stream;
    });
    try {
      const codec = makeCodec({}, undefined, 100_000);
      const bomb = zlib.deflateRawSync(Buffer.alloc(16 << 20), { level: 9 }); // 16 MiB in about 16 KiB
      expect(bomb.length).toBeLessThan(32 * 1024);
      let error: WebSocketError | null = null;
      expect(
        callsBackAtOnce((done) =>
          codec.decode(bomb, Rsv1, true, (failure) => {
            error = failure;
            done();
          }),
        ),
      ).toBe(true);
      expect(error!.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
      expect(streams).toHaveLength(1);
      expect(streams[0].destroyed).toBe(true);
      expect(codec.inflater.holdsStream).toBe(false);
      codec.dispose();
    } finally {
      spy.mockRestore();
    }
  });

  it('a zlib error at once: 1007 through the callback, and the stream error event later is harmless', async () => {
    const codec = makeCodec();
    let error: WebSocketError | null = null;
    expect(
      callsBackAtOnce((done) =>
        codec.decode(Buffer.from([0xff, 0xff, 0xff, 0xff]), Rsv1, true, (failure) => {
          error = failure;
          done();
        }),
      ),
    ).toBe(true);
    expect(error!.code).toBe('WS_ERR_INVALID_COMPRESSED_DATA');
    expect(error!.message).toMatch(/invalid block type/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Failed for good: the context is lost.
    expect((await rejection(decodeFrame(codec, Buffer.from([0x00]), true))).code).toBe(
      'WS_ERR_INVALID_COMPRESSED_DATA',
    );
    codec.dispose();
  });

  it('a throw from the callback is the caller’s, not a zlib failure', () => {
    const codec = makeCodec({ threshold: 0 });
    const listenerError = new Error('listener');
    expect(() =>
      codec.encode(sample(100), 0, TEXT, () => {
        throw listenerError;
      }),
    ).toThrow(listenerError);
    // The codec is fine: the next message compresses.
    let ok = false;
    codec.encode(sample(100), 0, TEXT, (error) => {
      ok = error === null;
    });
    expect(ok).toBe(true);
    codec.dispose();
  });

  it('without context takeover, borrows a pooled stream and gives it back within the call', () => {
    const codec = makeCodec({ threshold: 0 }, NO_TAKEOVER);
    codec.encode(sample(500), 0, TEXT, () => {
      expect(codec.deflater.holdsStream).toBe(false);
    });
    const payload = zlib.deflateRawSync(sample(500), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    codec.decode(payload.subarray(0, payload.length - TRAILER.length), Rsv1, true, (error) => {
      expect(error).toBeNull();
      expect(codec.inflater.holdsStream).toBe(false);
    });
    codec.dispose();
  });

  it('a second message while one is on the thread pool is queued, not written at once (zlib would abort)', async () => {
    const codec = makeCodec({ syncLimit: 1000, threshold: 0 });
    codec.encode(sample(5000), 0, TEXT, () => {}); // on the pool; core would wait for it
    const second = encode(codec, sample(100));
    expect((await second).payload.length).toBeGreaterThan(0);
    codec.dispose();
  });
});
