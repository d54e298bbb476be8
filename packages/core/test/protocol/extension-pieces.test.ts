/**
 * Codecs that take frames in pieces (`decodesPartialFrames`), through the Protocol: the arrived
 * part of a data frame is decoded at once and its output validated, so invalid UTF-8 (or a
 * message too big) fails before the rest of the frame comes; a frame that arrives whole is one
 * call on a view of the chunk; pieces arriving while a decode is pending are joined; order,
 * RSV bits, fin and control frames between fragments are as with whole frames.
 */
import { ExtensionChain, Opcode, Rsv1, type DecodeCallback, type ExtensionCodec } from '@ws/core';
import { Deferred, tagCodec, xorBytes, xorCodec, type CallRecord } from '../helpers/sans-io-codecs';
import { cutAt, hex, masked, oneByteAtATime } from '../helpers/sans-io-frames';
import { SansIo, expectFailure, expectFrameSent, expectNoFailure } from '../helpers/sans-io-harness';

const KEY = 0x5a;

function withCodecs(codecs: ExtensionCodec[], options: { maxPayload?: number } = {}): SansIo {
  return new SansIo({ extensions: new ExtensionChain(codecs), allowedRsv: Rsv1, ...options });
}

/** A client frame whose payload the xor codec transformed (RSV1 on a message's first frame). */
function xorFrame(opcode: number, payload: Buffer | string, fin = true): Buffer {
  const rsv = opcode === Opcode.Continuation ? 0 : Rsv1;
  return masked(opcode, xorBytes(Buffer.from(payload), KEY), { fin, rsv });
}

/** Feeds the chunks one at a time; the index of the chunk after which the protocol failed (-1: never). */
function failingChunk(io: SansIo, chunks: Buffer[]): number {
  for (let i = 0; i < chunks.length; i++) {
    io.receive(chunks[i]);
    if (io.failures().length > 0) return i;
  }
  return -1;
}

/** A codec taking pieces that records each payload as given (the Buffer itself) and its fin. */
function recordingCodec(calls: { payload: Buffer; fin: boolean }[]): ExtensionCodec {
  return {
    decodesPartialFrames: true,
    decode(payload: Buffer, _rsv: number, fin: boolean, done: DecodeCallback): void {
      calls.push({ payload, fin });
      done(null, payload);
    },
    encode: (payload, rsv, _options, done) => done(null, payload, rsv),
    dispose: () => undefined,
  };
}

/** Inflates like a decompressor would: each byte decodes to ten. */
function expandingCodec(): ExtensionCodec {
  return {
    decodesPartialFrames: true,
    decode(payload, _rsv, _fin, done): void {
      const out = Buffer.alloc(payload.length * 10);
      for (let i = 0; i < out.length; i++) out[i] = payload[Math.floor(i / 10)];
      done(null, out);
    },
    encode: (payload, rsv, _options, done) => done(null, payload, rsv),
    dispose: () => undefined,
  };
}

// Autobahn 6.4.3's text: valid Greek, a surrogate (never valid UTF-8), then more.
const VALID = Buffer.from('κόσμε', 'utf8');
const INVALID = hex('ed a0 80');
const REST = Buffer.from('edited', 'utf8');

describe('a frame that arrives whole: one decode call, on a view of the chunk', () => {
  it.each([0, 5, 200, 70_000])('payload of %i bytes', (length) => {
    const calls: { payload: Buffer; fin: boolean }[] = [];
    const io = withCodecs([recordingCodec(calls)]);
    const chunk = masked(Opcode.Binary, Buffer.alloc(length, 7), { rsv: Rsv1 });
    io.protocol.receive(chunk);
    expect(calls.map((c) => [c.payload.length, c.fin])).toEqual([[length, true]]);
    if (length > 0) expect(calls[0].payload.buffer).toBe(chunk.buffer);
    expect(io.messages()).toEqual([Buffer.alloc(length, 7)]);
  });
});

describe('a frame in pieces', () => {
  const text = 'κόσμε '.repeat(50);
  const frame = xorFrame(Opcode.Text, text);

  it('hands each chunk of payload on as it comes, fin on the last piece only', () => {
    const log: CallRecord[] = [];
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, log })]);
    // Cuts at odd offsets, inside the header and inside code points: the mask is rotated right.
    const chunks = cutAt(frame, [3, 9, 17, 101, 200]);
    io.receive(...chunks);
    expect(log.map((c) => [c.payload.length, c.fin])).toEqual([
      [1, false],
      [8, false],
      [84, false],
      [99, false],
      [frame.length - 200, true],
    ]);
    expect(io.messages()).toEqual([text]);
  });

  it('a chunk holding only the header hands on nothing (no empty piece)', () => {
    const log: CallRecord[] = [];
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, log })]);
    const headerLength = frame.length - Buffer.byteLength(text);
    io.receive(frame.subarray(0, headerLength), Buffer.alloc(0));
    expect(log).toEqual([]);
    io.receive(frame.subarray(headerLength));
    expect(log.map((c) => [c.payload.length, c.fin])).toEqual([[Buffer.byteLength(text), true]]);
    expect(io.messages()).toEqual([text]);
  });

  it('fed one byte at a time: a call per byte for the first 64, then one per 256 bytes, the text intact', () => {
    const log: CallRecord[] = [];
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, log })]);
    const long = 'κόσμε '.repeat(400); // 4400 bytes
    const wire = xorFrame(Opcode.Text, long);
    io.receive(...oneByteAtATime(wire));
    const sizes = log.map((c) => c.payload.length);
    expect(sizes.slice(0, 64)).toEqual(Array(64).fill(1));
    expect(sizes.slice(64, -1).every((size) => size === 256)).toBe(true);
    expect(sizes.length).toBeLessThan(64 + 4400 / 256 + 2);
    expect(log.filter((c) => c.fin)).toHaveLength(1);
    expect(io.messages()).toEqual([long]);
  });

  it('counts small pieces per message: the next message gets its 64 again', () => {
    const log: CallRecord[] = [];
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, log })]);
    io.receive(...oneByteAtATime(Buffer.concat([xorFrame(Opcode.Text, 'a'.repeat(300)), frame])));
    const second = log.slice(log.findIndex((c) => c.fin) + 1);
    expect(second.slice(0, 64).map((c) => c.payload.length)).toEqual(Array(64).fill(1));
    expect(io.messages()).toEqual(['a'.repeat(300), text]);
  });

  it('joins what arrives while a decode is pending into one piece, and pauses input meanwhile', () => {
    const deferred = new Deferred();
    const log: CallRecord[] = [];
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, log, deferred })]);
    const chunks = oneByteAtATime(frame);
    io.receive(...chunks.slice(0, 20));
    expect(io.protocol.isInputPaused).toBe(true);
    io.receive(...chunks.slice(20, 300));
    expect(log).toHaveLength(1);
    deferred.releaseOne();
    expect(log).toHaveLength(2);
    io.receive(...chunks.slice(300));
    deferred.releaseAll();
    // The first byte of payload, then the 291 that came while it decoded, then the rest.
    expect(log.map((c) => [c.payload.length, c.fin])).toEqual([
      [1, false],
      [291, false],
      [frame.length - 300, true],
    ]);
    expect(io.messages()).toEqual([text]);
    expect(io.protocol.isInputPaused).toBe(false);
    expect(io.events.filter((e) => e.type === 'inputResumed').length).toBeGreaterThan(0);
  });

  it('keeps messages in order when pieces decode asynchronously', () => {
    const deferred = new Deferred();
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, deferred })]);
    const wire = Buffer.concat([xorFrame(Opcode.Text, 'one'), frame, xorFrame(Opcode.Binary, 'three')]);
    for (const chunk of cutAt(wire, [5, 40, 41, 333, 334])) {
      io.receive(chunk);
      deferred.releaseAll();
    }
    deferred.releaseAll();
    expect(io.messages()).toEqual(['one', text, Buffer.from('three')]);
  });
});

describe('RFC 6455 §8.1: invalid UTF-8 in decoded pieces fails before the frame is complete', () => {
  const payload = Buffer.concat([VALID, INVALID, REST]);
  const frame = xorFrame(Opcode.Text, payload);
  const start = frame.length - payload.length;

  it('fails with 1007 after the middle of three chunks, and decodes nothing after it', () => {
    const log: CallRecord[] = [];
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, log })]);
    const chunks = cutAt(frame, [start + VALID.length, start + VALID.length + INVALID.length]);
    expect(failingChunk(io, chunks)).toBe(1);
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
    io.receive(chunks[2]);
    expect(log).toHaveLength(2);
    expect(io.messages()).toEqual([]);
  });

  it('fails on the byte that decides it, fed one byte at a time', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true })]);
    // ED may only be followed by 80-9F: the A0 after it decides.
    expect(failingChunk(io, oneByteAtATime(frame))).toBe(start + VALID.length + 1);
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('fails when a pending asynchronous decode returns the invalid bytes, dropping what waits', () => {
    const deferred = new Deferred();
    const log: CallRecord[] = [];
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, log, deferred })]);
    io.receive(frame.subarray(0, start + VALID.length + 2), frame.subarray(start + VALID.length + 2));
    expectNoFailure(io);
    deferred.releaseAll();
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
    expect(log).toHaveLength(1);
    expect(io.messages()).toEqual([]);
  });

  it('fails inside a continuation frame still arriving', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true })]);
    const second = xorFrame(Opcode.Continuation, payload);
    io.receive(xorFrame(Opcode.Text, 'start ', false), second.subarray(0, second.length - REST.length));
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });

  it('with a codec that takes whole frames beside it, waits for the whole frame', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true }), tagCodec('A')]);
    io.receive(frame.subarray(0, frame.length - 1));
    expectNoFailure(io);
    io.receive(frame.subarray(frame.length - 1));
    expectFailure(io, 'WS_ERR_INVALID_UTF8', 1007);
  });
});

describe('limits, RSV bits and control frames with pieces', () => {
  it('fails with 1009 once the decoded size passes maxPayload, before the frame is complete', () => {
    // 60 bytes on the wire fit maxPayload 100; the first 20 decode to 200.
    const io = withCodecs([expandingCodec()], { maxPayload: 100 });
    const frame = masked(Opcode.Binary, Buffer.alloc(60, 1), { rsv: Rsv1 });
    io.receive(frame.subarray(0, frame.length - 40));
    expectFailure(io, 'WS_ERR_MESSAGE_TOO_BIG', 1009);
  });

  it('still refuses from the header a frame longer than maxPayload, before any piece', () => {
    const calls: { payload: Buffer; fin: boolean }[] = [];
    const io = withCodecs([recordingCodec(calls)], { maxPayload: 100 });
    io.receive(masked(Opcode.Text, Buffer.alloc(101, 0x61), { rsv: Rsv1 }).subarray(0, 50));
    expectFailure(io, 'WS_ERR_MESSAGE_TOO_BIG', 1009);
    expect(calls).toEqual([]);
  });

  it('counts a fragmented message once across pieces against maxPayload (from the headers)', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true })], { maxPayload: 10 });
    const first = xorFrame(Opcode.Text, 'abcdef', false);
    io.receive(first.subarray(0, 9), first.subarray(9));
    expectNoFailure(io);
    io.receive(xorFrame(Opcode.Continuation, 'ghijk'));
    expectFailure(io, 'WS_ERR_MESSAGE_TOO_BIG', 1009);
  });

  it("gives continuation pieces the first frame's RSV bits, and answers a ping between fragments", () => {
    const log: CallRecord[] = [];
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true, log })]);
    const first = xorFrame(Opcode.Text, 'hello ', false);
    const last = xorFrame(Opcode.Continuation, 'world');
    const ping = masked(Opcode.Ping, 'are you there');
    io.receive(...cutAt(Buffer.concat([first, ping, last]), [8, first.length + 3, first.length + ping.length + 8]));
    const decoded = (c: CallRecord): string => xorBytes(Buffer.from(c.payload, 'latin1'), KEY).toString();
    expect(log.map((c) => [decoded(c), c.rsv, c.fin])).toEqual([
      ['he', Rsv1, false],
      ['llo ', Rsv1, false],
      ['wo', Rsv1, false],
      ['rld', Rsv1, true],
    ]);
    expectFrameSent(io, Opcode.Pong, 'are you there');
    expect(io.messages()).toEqual(['hello world']);
  });

  it('fails with 1002 on RSV1 on a continuation, as with whole frames', () => {
    const io = withCodecs([xorCodec(KEY, { rsv: Rsv1, pieces: true })]);
    const first = xorFrame(Opcode.Text, 'abc', false);
    io.receive(first.subarray(0, 8), first.subarray(8), masked(Opcode.Continuation, 'x', { rsv: Rsv1 }));
    expectFailure(io, 'WS_ERR_UNEXPECTED_RSV', 1002);
  });
});
