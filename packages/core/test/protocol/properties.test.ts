/**
 * The parser's contract as properties (after python-websockets' fuzzing/fuzz_websocket_parser.py):
 * any message a client frames and masks, cut anywhere, parses back to itself; any bytes at all
 * either parse or fail with a WebSocketError carrying a documented close code, and never throw.
 */
import fc from 'fast-check';
import { ERROR_CLOSE_CODES, FrameParser, Opcode, WebSocketError, type FrameHandler } from '@ws/core';
import { frame } from '../helpers/frames';
import { clientMessage, cutAt, masked, prng, randomBytes, randomKey, randomText } from '../helpers/sans-io-frames';
import { PEER_CLOSE_CODES, SansIo } from '../helpers/sans-io-harness';

/** Frames per message are capped so a 1-byte maxFrameSize on 200 KiB stays quick. */
const MAX_FRAMES = 2000;

const messageSpec = fc.record({
  binary: fc.boolean(),
  size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 200 * 1024 })),
  seed: fc.integer(),
  maxFrameSize: fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 70_000 })),
  pingAt: fc.option(fc.nat(), { nil: undefined }),
});

type MessageSpec = typeof messageSpec extends fc.Arbitrary<infer T> ? T : never;

function build(spec: MessageSpec): { data: string | Buffer; frames: Buffer[] } {
  const random = prng(spec.seed);
  const data = spec.binary ? randomBytes(spec.size, random) : randomText(spec.size, random);
  const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const frameSize = Math.max(spec.maxFrameSize, Math.ceil(payload.length / MAX_FRAMES));
  const frames = clientMessage(spec.binary ? Opcode.Binary : Opcode.Text, payload, frameSize, () => randomKey(random));
  // RFC 6455 §5.4: a control frame may come between fragments.
  if (spec.pingAt !== undefined && frames.length > 1) {
    frames.splice(1 + (spec.pingAt % (frames.length - 1)), 0, masked(Opcode.Ping, 'between'));
  }
  return { data, frames };
}

describe('round trip: client-framed messages parse back to themselves', () => {
  it('for text and binary up to 200 KiB, any maxFrameSize, any cuts (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(messageSpec, { minLength: 1, maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (specs, cuts) => {
          const built = specs.map(build);
          const wire = Buffer.concat(built.flatMap((b) => b.frames));
          const io = new SansIo().receive(
            ...cutAt(
              wire,
              cuts.map((c) => c % (wire.length + 1)),
            ),
          );
          const received = io.messages();
          expect(received.length).toBe(built.length);
          built.forEach(({ data }, i) => {
            if (typeof data === 'string') expect(received[i] === data).toBe(true);
            else expect(Buffer.isBuffer(received[i]) && data.equals(received[i])).toBe(true);
          });
          expect(io.failures()).toEqual([]);
          // Pings between fragments were answered, and nothing else was written.
          const pings = io.events.filter((e) => e.type === 'ping').length;
          expect(io.sent().map((f) => f.opcode)).toEqual(Array(pings).fill(Opcode.Pong));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('for a message fed one byte at a time (fast-check)', () => {
    fc.assert(
      fc.property(
        messageSpec.map((s) => ({ ...s, size: s.size % 600 })),
        (spec) => {
          const { data, frames } = build(spec);
          const wire = Buffer.concat(frames);
          const io = new SansIo();
          for (let i = 0; i < wire.length; i++) io.receive(wire.subarray(i, i + 1));
          expect(io.messages()).toEqual([data]);
        },
      ),
      { numRuns: 100 },
    );
  });
});

/** The protocol's contract after any input: at most one failure, documented, with one close frame, last. */
function expectSound(io: SansIo): void {
  const failures = io.failures();
  expect(failures.length).toBeLessThanOrEqual(1);
  const closes = io.sent().filter((f) => f.opcode === Opcode.Close);
  if (failures.length === 1) {
    const [error] = failures;
    expect(error).toBeInstanceOf(WebSocketError);
    expect(error.closeCode).toBe(ERROR_CLOSE_CODES[error.code]);
    expect(PEER_CLOSE_CODES.has(error.closeCode)).toBe(true);
    expect([1002, 1007, 1009]).toContain(error.closeCode);
    expect(closes).toHaveLength(1);
    expect(closes[0].payload.readUInt16BE(0)).toBe(error.closeCode);
    expect(io.events[io.events.length - 1].type).toBe('fail');
  } else {
    // Without a failure, a close frame is only ever the echo of the peer's.
    const peerClosed = io.events.some((e) => e.type === 'peerClose');
    expect(closes).toHaveLength(peerClosed ? 1 : 0);
  }
}

const options = fc.record({
  maxPayload: fc.constantFrom(0, 1, 100, 1 << 20),
  allowedRsv: fc.integer({ min: 0, max: 7 }),
});

/** Frames with every header field random, mostly masked, so input gets past the first checks. */
const randomFrame = fc
  .record({
    opcode: fc.integer({ min: 0, max: 15 }),
    fin: fc.boolean(),
    rsv: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7 })),
    mask: fc.oneof(fc.constant(true), fc.constant(true), fc.boolean()),
    payload: fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 300 })),
  })
  .map((spec) => frame({ ...spec, payload: Buffer.from(spec.payload) }));

const prefixes = [
  Buffer.alloc(0),
  masked(Opcode.Text, 'complete'),
  masked(Opcode.Text, 'open', { fin: false }),
  masked(Opcode.Binary, [1, 2, 3], { fin: false }),
  masked(Opcode.Text, [0xf0, 0x9f], { fin: false }),
  masked(Opcode.Ping, 'p'),
  masked(Opcode.Text, 'header only').subarray(0, 4),
];

describe('never throws: any bytes parse or fail with a documented close code', () => {
  it('random bytes after nothing (fast-check)', () => {
    fc.assert(
      fc.property(
        options,
        fc.uint8Array({ maxLength: 512 }),
        fc.array(fc.nat({ max: 512 }), { maxLength: 8 }),
        (opts, bytes, cuts) => {
          const io = new SansIo(opts);
          expect(() => io.receive(...cutAt(Buffer.from(bytes), cuts))).not.toThrow();
          expectSound(io);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes after a valid prefix (fast-check)', () => {
    fc.assert(
      fc.property(options, fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 512 }), (opts, prefix, bytes) => {
        const io = new SansIo(opts);
        expect(() => io.receive(prefix, Buffer.from(bytes))).not.toThrow();
        expectSound(io);
      }),
      { numRuns: 300 },
    );
  });

  it('random frames with random header fields, cut anywhere, same result as whole (fast-check)', () => {
    fc.assert(
      fc.property(
        options,
        fc.array(randomFrame, { maxLength: 6 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 10 }),
        (opts, frames, cuts) => {
          const wire = Buffer.concat(frames);
          const whole = new SansIo(opts);
          const pieces = new SansIo(opts);
          expect(() => whole.receive(wire)).not.toThrow();
          expect(() => pieces.receive(...cutAt(wire, cuts))).not.toThrow();
          expectSound(whole);
          expect(pieces.outcome()).toEqual(whole.outcome());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('FrameParser.push on random bytes: frames or one error, nothing after it (fast-check)', () => {
    fc.assert(
      fc.property(
        options,
        fc.uint8Array({ maxLength: 512 }),
        fc.array(fc.nat({ max: 512 }), { maxLength: 8 }),
        (opts, bytes, cuts) => {
          const seen: string[] = [];
          const handler: FrameHandler = {
            onFrame: () => {
              seen.push('frame');
              return true;
            },
            onParseError: (error) => {
              expect(error).toBeInstanceOf(WebSocketError);
              expect([1002, 1009]).toContain(error.closeCode);
              seen.push('error');
            },
          };
          const parser = new FrameParser(handler, opts);
          for (const piece of cutAt(Buffer.from(bytes), cuts)) expect(() => parser.push(piece)).not.toThrow();
          const errorAt = seen.indexOf('error');
          if (errorAt !== -1) {
            expect(errorAt).toBe(seen.length - 1);
            expect(parser.bufferedBytes).toBe(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
