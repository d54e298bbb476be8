/**
 * Large one-frame text that spans socket chunks, with string delivery (frame-parser.ts
 * `keepsTextInPlace`, text-codec.ts `decodeAsciiPieces`): ASCII is unmasked where it lies,
 * decoded from the chunks and, sent back, written from them with no copy; other text is joined
 * and validated as before. Whatever the cut, the string and the frame sent back are exact,
 * UTF-8 is still checked before the frame is complete (RFC 6455 §8.1), and text past ROPE_MAX
 * still goes through the fill.
 */
import { CloseCode, Opcode } from '@ws/core';
import { ROPE_MAX } from '../../src/protocol/text-codec';
import { ArraySink, SansIo } from '../helpers/sans-io-harness';
import { cutAt, hex, masked } from '../helpers/sans-io-frames';

const KEY = hex('a1 b2 c3 d4');
const ascii = (length: number): string =>
  'abcdefghijklmnopqrstuvwxyz012345'.repeat(Math.ceil(length / 32)).slice(0, length);

/** Keeps the Buffers it is handed as they are, besides the copies ArraySink keeps. */
class ReferenceSink extends ArraySink {
  readonly originals: Buffer[] = [];

  override push(chunk: Buffer, callback?: (error?: Error | null) => void): void {
    this.originals.push(chunk);
    super.push(chunk, callback);
  }
}

/** A SansIo whose listener sends every text back at once, on a ReferenceSink. */
function echoing(options: ConstructorParameters<typeof SansIo>[0] = {}): { io: SansIo; sink: ReferenceSink } {
  const io = new SansIo(options);
  const sink = new ReferenceSink();
  // The protocol writes to the SansIo's sink: wrap it so each push is seen uncopied too.
  const original = io.sink;
  original.push = (chunk, callback) => sink.push(chunk, callback);
  original.cork = () => sink.cork();
  original.uncork = () => sink.uncork();
  io.handler.onMessageHook = (data) => {
    if (typeof data === 'string') io.protocol.sendText(data, false);
  };
  return { io, sink };
}

/** The payload of the one unmasked frame in `bytes`. */
function onlyFrame(bytes: Buffer): { opcode: number; fin: boolean; payload: Buffer } {
  const second = bytes[1] & 0x7f;
  const headerLength = second < 126 ? 2 : second === 126 ? 4 : 10;
  const length = second < 126 ? second : second === 126 ? bytes.readUInt16BE(2) : bytes.readUInt32BE(6);
  expect(bytes[1] & 0x80).toBe(0);
  expect(bytes.length).toBe(headerLength + length);
  return { opcode: bytes[0] & 0x0f, fin: (bytes[0] & 0x80) !== 0, payload: bytes.subarray(headerLength) };
}

describe('large ASCII text across chunks is decoded from them and sent back from them', () => {
  // noCopy: every Buffer written is memory of a received chunk, the header in the bytes of the
  // peer's. Not when the header is cut apart, nor for chunks under 1 KiB (packed into blocks).
  it.each([
    ['two chunks', 40_000, [20_000], true],
    ['cut inside the header', 40_000, [3, 20_000], false],
    ['many small chunks', 20_000, Array.from({ length: 40 }, (_, i) => 14 + i * 497), false],
    ['a byte at a time near the end', 30_000, [25_000, 29_990, 29_991, 29_992, 29_995], false],
    ['one MiB in 64 KiB reads', 1024 * 1024, Array.from({ length: 16 }, (_, i) => (i + 1) * 65_536 - 2_000), true],
    ['ROPE_MAX exactly', ROPE_MAX, [ROPE_MAX / 2], true],
  ])('%s', (_name, length, cuts, noCopy) => {
    const text = ascii(length);
    const { io, sink } = echoing({ maxFrameSize: 4 * 1024 * 1024 }); // one frame out
    const chunks = cutAt(masked(Opcode.Text, text, { key: KEY }), cuts).map((piece) => Buffer.from(piece));
    for (const chunk of chunks) io.protocol.receive(chunk); // these very Buffers
    expect(io.messages()).toEqual([text]);
    const frame = onlyFrame(Buffer.concat(sink.chunks));
    expect([frame.opcode, frame.fin, frame.payload.toString('latin1') === text]).toEqual([Opcode.Text, true, true]);
    if (noCopy) {
      const received = new Set<ArrayBufferLike>(chunks.map((chunk) => chunk.buffer));
      expect(sink.originals.map((written) => received.has(written.buffer))).toEqual(sink.originals.map(() => true));
      expect(sink.originals).toHaveLength(cuts.filter((cut) => cut < length).length + 1);
    }
  });

  it('writes its own header when the peer header is not right before the payload', () => {
    const text = ascii(40_000);
    const { io, sink } = echoing();
    const wire = masked(Opcode.Text, text, { key: KEY });
    io.receive(
      Buffer.from(wire.subarray(0, 8)),
      Buffer.from(wire.subarray(8, 20_000)),
      Buffer.from(wire.subarray(20_000)),
    );
    expect(sink.chunks.map((chunk) => chunk.length)).toEqual([4, 20_000 - 8, wire.length - 20_000]);
    expect(onlyFrame(Buffer.concat(sink.chunks)).payload.toString('latin1')).toBe(text);
  });

  it('sent twice, the second frame has a header of its own and the same bytes', () => {
    const text = ascii(40_000);
    const io = new SansIo();
    io.handler.onMessageHook = (data) => {
      io.protocol.sendText(data as string, false);
      io.protocol.sendText(data as string, false);
    };
    io.receive(...cutAt(masked(Opcode.Text, text, { key: KEY }), [20_000]).map((piece) => Buffer.from(piece)));
    expect(io.sent().map((frame) => frame.payload.toString('latin1') === text)).toEqual([true, true]);
  });

  it('sent after the receive call has returned, it is encoded again', () => {
    const text = ascii(40_000);
    const io = new SansIo();
    let kept = '';
    io.handler.onMessageHook = (data) => (kept = data as string);
    io.receive(...cutAt(masked(Opcode.Text, text, { key: KEY }), [20_000]).map((piece) => Buffer.from(piece)));
    io.protocol.sendText(kept, false);
    expect(io.sink.chunks).toHaveLength(1); // encoded anew behind its header
    expect(io.sent()[0].payload.toString('latin1')).toBe(text);
  });

  it('leaves as frames of maxFrameSize when larger', () => {
    const text = ascii(40_000);
    const io = new SansIo({ maxFrameSize: 16_384 });
    io.handler.onMessageHook = (data) => io.protocol.sendText(data as string, false);
    io.receive(...cutAt(masked(Opcode.Text, text, { key: KEY }), [20_000]).map((piece) => Buffer.from(piece)));
    const frames = io.sent();
    expect(frames.map((frame) => [frame.opcode, frame.fin, frame.payload.length])).toEqual([
      [Opcode.Text, false, 16_384],
      [Opcode.Continuation, false, 16_384],
      [Opcode.Continuation, true, 40_000 - 2 * 16_384],
    ]);
    expect(Buffer.concat(frames.map((frame) => frame.payload)).toString('latin1')).toBe(text);
  });

  it('keeps what follows the frame in the same chunk', () => {
    const text = ascii(40_000);
    const io = new SansIo();
    const wire = Buffer.concat([masked(Opcode.Text, text, { key: KEY }), masked(Opcode.Text, 'after', { key: KEY })]);
    io.receive(...cutAt(wire, [20_000]).map((piece) => Buffer.from(piece)));
    expect(io.messages()).toEqual([text, 'after']);
  });
});

describe('large text that is not all ASCII, across chunks', () => {
  it('is joined, validated and delivered exactly, a code point cut between chunks', () => {
    const text = `${ascii(19_999)}é${ascii(20_000)}`; // é is 2 bytes: the cut falls between them
    const wire = masked(Opcode.Text, text, { key: KEY });
    const io = new SansIo();
    io.handler.onMessageHook = (data) => io.protocol.sendText(data as string, false);
    io.receive(...cutAt(wire, [8 + 20_000]).map((piece) => Buffer.from(piece)));
    expect(io.messages()).toEqual([text]);
    expect(io.sent()[0].payload.toString('utf8')).toBe(text);
  });

  it('non-ASCII only in the piece that completes the frame', () => {
    const text = `${ascii(30_000)}→${ascii(100)}`;
    const io = new SansIo();
    io.receive(...cutAt(masked(Opcode.Text, text, { key: KEY }), [20_000]).map((piece) => Buffer.from(piece)));
    expect(io.messages()).toEqual([text]);
  });

  it('RFC 6455 §8.1: invalid UTF-8 in the piece that completes the frame fails with 1007', () => {
    const bytes = Buffer.concat([Buffer.from(ascii(30_000)), Buffer.from([0xc3, 0x28]), Buffer.from(ascii(10))]);
    const io = new SansIo();
    io.receive(...cutAt(masked(Opcode.Text, bytes, { key: KEY }), [20_000]).map((piece) => Buffer.from(piece)));
    expect(io.messages()).toEqual([]);
    expect(io.failures().map((error) => error.closeCode)).toEqual([CloseCode.InvalidPayload]);
  });

  it('RFC 6455 §8.1: invalid UTF-8 fails before the frame is complete', () => {
    const bytes = Buffer.concat([Buffer.from(ascii(100)), Buffer.from([0xff]), Buffer.from(ascii(39_899))]);
    const io = new SansIo();
    const wire = masked(Opcode.Text, bytes, { key: KEY });
    io.receive(Buffer.from(wire.subarray(0, 10_000)));
    expect(io.failures().map((error) => error.closeCode)).toEqual([CloseCode.InvalidPayload]);
  });
});

describe('text past ROPE_MAX, and text as Buffers, still go through the fill', () => {
  it('past ROPE_MAX: the frame is moved into a Buffer of its own once a quarter has come', () => {
    const length = ROPE_MAX + 1;
    const wire = masked(Opcode.Text, ascii(length), { key: KEY });
    const io = new SansIo();
    const half = 14 + Math.floor(length / 2);
    io.receive(Buffer.from(wire.subarray(0, half)));
    expect(io.protocol.bufferedInput).toBe(0);
    io.receive(Buffer.from(wire.subarray(half)));
    expect(io.messages()).toEqual([ascii(length)]);
  });

  it('up to ROPE_MAX: what came stays queued in its chunks', () => {
    const wire = masked(Opcode.Text, ascii(ROPE_MAX), { key: KEY });
    const io = new SansIo();
    io.receive(Buffer.from(wire.subarray(0, 14 + ROPE_MAX / 2)));
    expect(io.protocol.bufferedInput).toBe(ROPE_MAX / 2);
  });

  it('textAsBuffer: the whole frame as one Buffer', () => {
    const text = ascii(40_000);
    const io = new SansIo({ textAsBuffer: true });
    io.receive(...cutAt(masked(Opcode.Text, text, { key: KEY }), [20_000]).map((piece) => Buffer.from(piece)));
    const [message] = io.messages();
    expect(Buffer.isBuffer(message) && message.toString('latin1') === text).toBe(true);
  });
});

describe('client role: server frames are unmasked, and a text sent back is masked', () => {
  it('decodes across chunks and masks the echo', () => {
    const text = ascii(40_000);
    const io = new SansIo({ role: 'client' });
    io.handler.onMessageHook = (data) => io.protocol.sendText(data as string, false);
    const header = Buffer.from([0x81, 126, 0x9c, 0x40]); // 40,000 bytes, no key
    io.receive(Buffer.concat([header, Buffer.from(text.slice(0, 20_000))]), Buffer.from(text.slice(20_000)));
    expect(io.messages()).toEqual([text]);
    const out = io.sink.bytes();
    expect(out[1] & 0x80).toBe(0x80); // masked (RFC 6455 §5.3)
    const key = out.subarray(4, 8);
    const payload = Buffer.from(out.subarray(8).map((byte, i) => byte ^ key[i & 3]));
    expect(payload.toString('latin1')).toBe(text);
  });
});
