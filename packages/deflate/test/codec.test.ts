import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { CloseCode, Rsv1, Rsv2 } from '@ws/core';
import { deflate } from '@ws/deflate';
import * as zlibStream from '../src/zlib-stream';
import { decodeFrame, decodeMessage, encode, makeCodec, rejection, split } from './helpers/codec';
import { PeerDeflater, PeerInflater, TRAILER, buildBomb, sample } from './helpers/peer-zlib';

const BINARY = { binary: true, compress: true };
const TEXT = { binary: false, compress: true };
const NO_TAKEOVER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';

/** A fresh inflater for one payload (no context before it). */
const inflateOnce = (payload: Buffer): Buffer =>
  zlib.inflateRawSync(Buffer.concat([payload, TRAILER]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });

const tick = (ms = 20): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('RFC 7692 §7.2.1: compressing outgoing messages', () => {
  it('deflates a message, sets RSV1 and drops the 0x00 0x00 0xff 0xff trailer', async () => {
    const codec = makeCodec();
    const message = sample(4096);
    const { payload, rsv } = await encode(codec, message);
    expect(rsv).toBe(Rsv1);
    expect(payload.length).toBeLessThan(message.length);
    expect(payload.subarray(-4).equals(TRAILER)).toBe(false);
    const peer = new PeerInflater();
    expect((await peer.decompress(payload)).equals(message)).toBe(true);
    peer.close();
    codec.dispose();
  });

  it('keeps the RSV bits set by earlier codecs', async () => {
    const codec = makeCodec({ threshold: 0 });
    const rsv = await new Promise<number>((resolve) =>
      codec.encode(sample(100), Rsv2, TEXT, (_e, _p, bits) => resolve(bits)),
    );
    expect(rsv).toBe(Rsv1 | Rsv2);
    codec.dispose();
  });

  it.each<[string, number, number, boolean]>([
    ['below the default threshold', 1024, 1023, false],
    ['at the default threshold', 1024, 1024, true],
    ['below a threshold of 100', 100, 99, false],
    ['at a threshold of 100', 100, 100, true],
    ['empty, even with threshold 0', 0, 0, false],
    ['one byte with threshold 0', 0, 1, true],
  ])('a message %s (threshold %d, %d bytes) is compressed: %s', async (_label, threshold, length, compressed) => {
    const codec = makeCodec({ threshold });
    const message = sample(length);
    const { payload, rsv } = await encode(codec, message, BINARY);
    expect(rsv).toBe(compressed ? Rsv1 : 0);
    if (!compressed) expect(payload).toBe(message);
    codec.dispose();
  });

  it('sends a message with compress: false as it is', async () => {
    const codec = makeCodec({ threshold: 0 });
    const message = sample(8192);
    const { payload, rsv } = await encode(codec, message, { binary: false, compress: false });
    expect(rsv).toBe(0);
    expect(payload).toBe(message);
    codec.dispose();
  });

  it('with context takeover, the second identical message compresses smaller', async () => {
    const codec = makeCodec();
    const message = randomBytes(2048).toString('base64');
    const first = await encode(codec, Buffer.from(message));
    const second = await encode(codec, Buffer.from(message));
    expect(second.payload.length).toBeLessThan(first.payload.length / 4);
    const peer = new PeerInflater();
    expect((await peer.decompress(first.payload)).toString()).toBe(message);
    expect((await peer.decompress(second.payload)).toString()).toBe(message);
    peer.close();
    codec.dispose();
  });

  it('with server_no_context_takeover, each message is compressed on its own', async () => {
    const codec = makeCodec({}, 'permessage-deflate; server_no_context_takeover');
    const message = Buffer.from(randomBytes(2048).toString('base64'));
    const first = await encode(codec, message);
    const second = await encode(codec, message);
    expect(second.payload.equals(first.payload)).toBe(true);
    // A fresh inflater for each proves neither refers to the other.
    for (const { payload } of [first, second]) {
      expect(inflateOnce(payload).equals(message)).toBe(true);
    }
    codec.dispose();
  });

  it('passes zlibDeflateOptions to zlib (level 0 stores)', async () => {
    const stored = makeCodec({ zlibDeflateOptions: { level: 0 } });
    const best = makeCodec({ zlibDeflateOptions: { level: 9, memLevel: 9 } });
    const message = sample(8192);
    expect((await encode(stored, message)).payload.length).toBeGreaterThan(message.length);
    expect((await encode(best, message)).payload.length).toBeLessThan(message.length / 2);
    stored.dispose();
    best.dispose();
  });
});

describe('RFC 7692 §7.1.2: window bits 8 against zlib', () => {
  // Message 2 repeats message 1, 300 bytes back: further than a 256-byte window reaches.
  const first = randomBytes(300);
  const messages = [first, Buffer.from(first), Buffer.concat([first, first])];

  async function strictInflate8(payloads: Buffer[]): Promise<Buffer[]> {
    const peer = new PeerInflater({ windowBits: 8 });
    try {
      const out: Buffer[] = [];
      for (const payload of payloads) out.push(await peer.decompress(payload));
      return out;
    } finally {
      peer.close();
    }
  }

  it('control: a 10-bit compressor refers back 300 bytes, which a strict 8-bit inflater refuses', async () => {
    const peer = new PeerDeflater({ windowBits: 10 });
    const payloads: Buffer[] = [];
    for (const message of messages) payloads.push(await peer.compress(message));
    peer.close();
    await expect(strictInflate8(payloads)).rejects.toThrow(/too far back/);
  });

  it('server_max_window_bits=8: what the server sends inflates with a strict 256-byte window', async () => {
    const codec = makeCodec({ threshold: 0, serverMaxWindowBits: 8 });
    const payloads: Buffer[] = [];
    for (const message of messages) payloads.push((await encode(codec, message, BINARY)).payload);
    const out = await strictInflate8(payloads);
    out.forEach((buffer, i) => expect(buffer.equals(messages[i])).toBe(true));
    codec.dispose();
  });

  it('client_max_window_bits=8: a client whose zlib compresses with 8 (really 9) is understood', async () => {
    const codec = makeCodec({ clientMaxWindowBits: 8 });
    const peer = new PeerDeflater({ windowBits: 8 });
    for (const message of [...messages, sample(5000), sample(5000)]) {
      expect((await decodeMessage(codec, [await peer.compress(message)])).equals(message)).toBe(true);
    }
    peer.close();
    codec.dispose();
  });
});

describe('RFC 7692 §7.2.2: decompressing incoming messages', () => {
  it('passes a message without RSV1 through untouched', async () => {
    const codec = makeCodec();
    const frame = Buffer.from('plain');
    expect(await decodeFrame(codec, frame, true, 0)).toBe(frame);
    codec.dispose();
  });

  it('inflates a message, appending the trailer', async () => {
    const codec = makeCodec();
    const peer = new PeerDeflater({ windowBits: 12 }); // the client window the default answer asks for
    const message = sample(10_000);
    expect((await decodeMessage(codec, [await peer.compress(message)])).equals(message)).toBe(true);
    peer.close();
    codec.dispose();
  });

  it('inflates fragmented messages whatever the cut, across messages with context takeover', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 6 })),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        async (messages) => {
          const codec = makeCodec();
          const peer = new PeerDeflater({ windowBits: 12 });
          try {
            for (const [length, cuts] of messages) {
              const message = sample(length, length + 7);
              const payload = await peer.compress(message);
              expect((await decodeMessage(codec, split(payload, cuts))).equals(message)).toBe(true);
            }
          } finally {
            peer.close();
            codec.dispose();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('inflates a message cut into one-byte frames', async () => {
    const codec = makeCodec();
    const peer = new PeerDeflater();
    const message = sample(2000);
    const payload = await peer.compress(message);
    const frames = Array.from(payload, (byte) => Buffer.from([byte]));
    expect((await decodeMessage(codec, frames)).equals(message)).toBe(true);
    peer.close();
    codec.dispose();
  });

  it('keeps the context across messages (context takeover)', async () => {
    const codec = makeCodec();
    const peer = new PeerDeflater();
    const message = sample(3000);
    for (let i = 0; i < 5; i++) {
      expect((await decodeMessage(codec, [await peer.compress(message)])).equals(message)).toBe(true);
    }
    peer.close();
    codec.dispose();
  });

  it('with client_no_context_takeover, resets between messages: a back-reference to the last one fails', async () => {
    const codec = makeCodec({ clientNoContextTakeover: true });
    const peer = new PeerDeflater(); // misbehaves: keeps its context
    const message = sample(3000);
    await decodeMessage(codec, [await peer.compress(message)]);
    const error = await rejection(decodeMessage(codec, [await peer.compress(message)]));
    expect(error.code).toBe('WS_ERR_INVALID_COMPRESSED_DATA');
    peer.close();
    codec.dispose();
  });

  it('with client_no_context_takeover, independent messages all inflate', async () => {
    const codec = makeCodec({ clientNoContextTakeover: true });
    const peer = new PeerDeflater({}, false);
    for (let i = 0; i < 5; i++) {
      const message = sample(3000, i);
      expect((await decodeMessage(codec, split(await peer.compress(message), [100]))).equals(message)).toBe(true);
    }
    peer.close();
    codec.dispose();
  });

  it.each<[string, Buffer[]]>([
    ['no payload at all', [Buffer.alloc(0)]],
    ['an empty stored block (RFC 7692 §7.2.3.6)', [Buffer.from([0x00])]],
    ['empty frames only', [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)]],
  ])('an empty compressed message: %s', async (_label, frames) => {
    const codec = makeCodec();
    const peer = new PeerDeflater();
    expect((await decodeMessage(codec, frames)).length).toBe(0);
    // The context is intact for the next message.
    const message = sample(2000);
    expect((await decodeMessage(codec, [await peer.compress(message)])).equals(message)).toBe(true);
    peer.close();
    codec.dispose();
  });

  it('accepts a message ended with a BFINAL block (RFC 7692 §7.2.3.3) and starts over after it', async () => {
    const codec = makeCodec();
    const first = sample(2000, 1);
    const second = sample(2000, 2);
    expect((await decodeMessage(codec, [zlib.deflateRawSync(first)])).equals(first)).toBe(true);
    expect((await decodeMessage(codec, split(zlib.deflateRawSync(second), [10]))).equals(second)).toBe(true);
    codec.dispose();
  });

  it('inflates text split inside a multi-byte character', async () => {
    const codec = makeCodec();
    const message = Buffer.from('héllo wörld — ☃ '.repeat(200));
    const peer = new PeerDeflater({ level: 0 }); // stored: the cut falls where we put it
    expect((await decodeMessage(codec, split(await peer.compress(message), [7, 1, 1]))).equals(message)).toBe(true);
    peer.close();
    codec.dispose();
  });
});

describe('RFC 7692 §8 and RFC 6455 §10.4: limits and hostile input', () => {
  it('accepts a message that inflates to exactly maxPayload', async () => {
    const codec = makeCodec({}, undefined, 5000);
    const message = sample(5000);
    expect((await decodeMessage(codec, [zlib.deflateRawSync(message)])).length).toBe(5000);
    codec.dispose();
  });

  it('refuses with 1009 a message that inflates past maxPayload', async () => {
    const codec = makeCodec({}, undefined, 5000);
    const error = await rejection(decodeMessage(codec, [zlib.deflateRawSync(sample(5001))]));
    expect(error.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
    expect(error.closeCode).toBe(CloseCode.MessageTooBig);
    codec.dispose();
  });

  it('counts the inflated size across the frames of a message', async () => {
    const codec = makeCodec({}, undefined, 1 << 20);
    const payload = await buildBomb(3);
    const frames = split(payload, [payload.length / 3, payload.length / 3].map(Math.floor));
    expect((await decodeFrame(codec, frames[0], false)).length).toBeGreaterThan(0);
    const error = await rejection(decodeMessage(codec, frames.slice(1)));
    expect(error.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
    codec.dispose();
  });

  it('stops inflating a bomb as soon as it passes maxPayload', async () => {
    const streams: zlibStream.OwnedStream[] = [];
    const create = zlibStream.createOwnedStream;
    const spy = jest.spyOn(zlibStream, 'createOwnedStream').mockImplementation((kind, options) => {
      const stream = create(kind, options);
      streams.push(stream);
      return stream;
    });
    try {
      const codec = makeCodec({}, undefined, 1 << 20);
      const bomb = await buildBomb(512); // 512 MiB from ~0.5 MiB
      const error = await rejection(decodeMessage(codec, [bomb]));
      expect(error.code).toBe('WS_ERR_MESSAGE_TOO_BIG');
      expect(streams).toHaveLength(1);
      // About 1 KiB of input per MiB of output was consumed (1068 bytes when measured), not
      // the whole bomb.
      expect(streams[0].bytesWritten).toBeLessThan(8 * 1024);
      expect(streams[0].destroyed).toBe(true);
      codec.dispose();
    } finally {
      spy.mockRestore();
    }
  });

  it.each<[string, Buffer[]]>([
    ['an invalid block type', [Buffer.from([0xff, 0xff, 0xff, 0xff])]],
    ['bad stored block lengths', [Buffer.from([0x00, 0x05, 0x00, 0x05, 0x00, 0x41])]],
    [
      'garbage in a later frame',
      [
        zlib.deflateRawSync(sample(100), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, 20),
        Buffer.from([0xff, 0xfe, 0xfd, 0x07, 0x00]),
      ],
    ],
  ])('refuses with 1007 %s', async (_label, frames) => {
    const codec = makeCodec();
    const error = await rejection(decodeMessage(codec, frames));
    expect(error.code).toBe('WS_ERR_INVALID_COMPRESSED_DATA');
    expect(error.closeCode).toBe(CloseCode.InvalidPayload);
    codec.dispose();
  });

  it('refuses a back-reference to history that never was', async () => {
    const peer = new PeerDeflater();
    const message = sample(3000);
    await peer.compress(message);
    const second = await peer.compress(message); // refers into the first, which this codec never saw
    const codec = makeCodec();
    expect((await rejection(decodeMessage(codec, [second]))).code).toBe('WS_ERR_INVALID_COMPRESSED_DATA');
    peer.close();
    codec.dispose();
  });

  it('after a failure, later compressed frames fail at once, and plain ones still pass', async () => {
    const codec = makeCodec();
    await rejection(decodeMessage(codec, [Buffer.from([0xff, 0xff])]));
    let sync = false;
    codec.decode(Buffer.from([0x00]), Rsv1, true, (error) => {
      sync = true;
      expect(error?.code).toBe('WS_ERR_INVALID_COMPRESSED_DATA');
    });
    expect(sync).toBe(true);
    expect((await decodeFrame(codec, Buffer.from('x'), true, 0)).toString()).toBe('x');
    codec.dispose();
  });
});

describe('zlib streams: lazy, reused, released', () => {
  it('a new connection holds no zlib stream', () => {
    const codec = makeCodec();
    expect(codec.inflater.holdsStream).toBe(false);
    expect(codec.deflater.holdsStream).toBe(false);
    codec.dispose();
  });

  it('with context takeover, keeps one stream per direction for the connection', async () => {
    const codec = makeCodec({ threshold: 0 });
    const peer = new PeerDeflater();
    await encode(codec, sample(100));
    await decodeMessage(codec, [await peer.compress(sample(100))]);
    expect(codec.deflater.holdsStream).toBe(true);
    expect(codec.inflater.holdsStream).toBe(true);
    codec.dispose();
    expect(codec.deflater.holdsStream).toBe(false);
    expect(codec.inflater.holdsStream).toBe(false);
    peer.close();
  });

  it('without context takeover, holds no stream between messages and reuses pooled ones', async () => {
    const extension = deflate({ threshold: 0 });
    const spy = jest.spyOn(zlibStream, 'createOwnedStream');
    try {
      const codecs = [makeCodec(extension, NO_TAKEOVER), makeCodec(extension, NO_TAKEOVER)];
      for (let round = 0; round < 3; round++) {
        for (const codec of codecs) {
          const message = sample(500, round);
          const { payload } = await encode(codec, message);
          expect((await decodeMessage(codec, split(payload, [50]))).equals(message)).toBe(true);
          expect(codec.deflater.holdsStream).toBe(false);
          expect(codec.inflater.holdsStream).toBe(false);
        }
      }
      // One deflate and one inflate stream served six messages on two connections.
      expect(spy).toHaveBeenCalledTimes(2);
      for (const codec of codecs) codec.dispose();
    } finally {
      spy.mockRestore();
    }
  });

  it('a no-takeover inflater holds its stream only until the message ends', async () => {
    const codec = makeCodec({}, NO_TAKEOVER);
    const peer = new PeerDeflater({}, false);
    const frames = split(await peer.compress(sample(3000)), [40]);
    await decodeFrame(codec, frames[0], false);
    expect(codec.inflater.holdsStream).toBe(true);
    await decodeFrame(codec, frames[1], true);
    expect(codec.inflater.holdsStream).toBe(false);
    peer.close();
    codec.dispose();
  });
});

describe('dispose', () => {
  it('drops a decode in flight: no callback, no throw, the slot is freed', async () => {
    const extension = deflate({ concurrency: 7 });
    const codec = makeCodec(extension);
    const payload = await buildBomb(64);
    const done = jest.fn();
    codec.decode(payload, Rsv1, true, done);
    expect(extension.limiter.running).toBe(1);
    codec.dispose();
    expect(extension.limiter.running).toBe(0);
    await tick(100);
    expect(done).not.toHaveBeenCalled();
  });

  it('drops an encode in flight', async () => {
    const extension = deflate({ concurrency: 7 });
    const codec = makeCodec(extension);
    const done = jest.fn();
    codec.encode(sample(1 << 20), 0, TEXT, done);
    codec.dispose();
    await tick(100);
    expect(done).not.toHaveBeenCalled();
    expect(extension.limiter.running).toBe(0);
  });

  it('drops queued work, and the queue moves on', async () => {
    const extension = deflate({ concurrency: 1 });
    const [a, b, c] = [makeCodec(extension), makeCodec(extension), makeCodec(extension)];
    const doneB = jest.fn();
    const first = encode(a, sample(100_000));
    b.encode(sample(100_000), 0, TEXT, doneB);
    const third = encode(c, sample(100_000));
    expect(extension.limiter.pending).toBe(2);
    b.dispose();
    await first;
    await third;
    expect(doneB).not.toHaveBeenCalled();
    expect(extension.limiter.running).toBe(0);
    expect(extension.limiter.pending).toBe(0);
    a.dispose();
    c.dispose();
  });

  it('ignores calls after dispose, and a second dispose', async () => {
    const codec = makeCodec({ threshold: 0 });
    codec.dispose();
    const done = jest.fn();
    codec.encode(sample(100), 0, TEXT, done);
    codec.decode(Buffer.from([0x00]), Rsv1, true, done);
    codec.dispose();
    await tick();
    expect(done).not.toHaveBeenCalled();
  });

  it('a late zlib error after dispose is harmless', async () => {
    const codec = makeCodec({ syncLimit: 0 }); // on the thread pool: the error comes later
    const done = jest.fn();
    codec.decode(Buffer.from([0xff, 0xff, 0xff, 0xff]), Rsv1, true, done);
    codec.dispose();
    await tick(50);
    expect(done).not.toHaveBeenCalled();
  });
});

describe('the process-wide limiter', () => {
  it('queues zlib work past `concurrency` and finishes all of it, in order per connection', async () => {
    const extension = deflate({ concurrency: 2, threshold: 0 });
    const codecs = Array.from({ length: 6 }, () => makeCodec(extension));
    const messages = codecs.map((_c, i) => sample(200_000, i));
    const results = codecs.map((codec, i) => encode(codec, messages[i]));
    expect(extension.limiter.running).toBe(2);
    expect(extension.limiter.pending).toBe(4);
    const encoded = await Promise.all(results);
    encoded.forEach(({ payload }, i) => {
      expect(inflateOnce(payload).equals(messages[i])).toBe(true);
    });
    expect(extension.limiter.running).toBe(0);
    expect(extension.limiter.pending).toBe(0);
    for (const codec of codecs) codec.dispose();
  });

  it('is shared by extensions with the same concurrency', () => {
    expect(deflate({ concurrency: 3 }).limiter).toBe(deflate({ concurrency: 3 }).limiter);
  });
});
