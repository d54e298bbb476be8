/**
 * FrameParser on its own (RFC 6455 §5.2): headers are judged before any payload is held, frames
 * come out unmasked and in order however the bytes are cut, and the handler can pause it.
 */
import { FrameParser, Opcode, type WebSocketError, type FrameHandler } from '@ws/core';
import { frameHeader } from '../helpers/frames';
import { cutAt, hex, masked, oneByteAtATime } from '../helpers/sans-io-frames';

interface SeenFrame {
  opcode: number;
  fin: boolean;
  rsv: number;
  payload: string;
}

class Recorder implements FrameHandler {
  readonly frames: SeenFrame[] = [];
  readonly errors: WebSocketError[] = [];
  /** What onFrame returns (false pauses). */
  answer = true;
  onFrameHook: (() => void) | null = null;

  onFrame(opcode: number, fin: boolean, rsv: number, payload: Buffer): boolean {
    this.frames.push({ opcode, fin, rsv, payload: payload.toString('latin1') });
    this.onFrameHook?.();
    return this.answer;
  }
  onParseError(error: WebSocketError): void {
    this.errors.push(error);
  }
}

function parser(options: { maxPayload?: number; allowedRsv?: number } = {}): { p: FrameParser; r: Recorder } {
  const r = new Recorder();
  const p = new FrameParser(r, { maxPayload: options.maxPayload ?? 0, allowedRsv: options.allowedRsv ?? 0 });
  return { p, r };
}

const frame = (opcode: number, payload: string, fin = true, rsv = 0): SeenFrame => ({ opcode, fin, rsv, payload });

describe('RFC 6455 §5.2: frames out of any cut of the bytes', () => {
  const stream = Buffer.concat([
    masked(Opcode.Text, 'Hel', { fin: false }),
    masked(Opcode.Ping, 'ping'),
    masked(Opcode.Continuation, 'lo'),
    masked(Opcode.Binary, Buffer.alloc(300, 7)),
    masked(Opcode.Close, hex('03 e8')),
  ]);
  const expected = [
    frame(Opcode.Text, 'Hel', false),
    frame(Opcode.Ping, 'ping'),
    frame(Opcode.Continuation, 'lo'),
    frame(Opcode.Binary, '\x07'.repeat(300)),
    frame(Opcode.Close, '\x03\xe8'),
  ];

  it.each([
    ['whole', [] as number[]],
    ['cut inside the first header', [1]],
    ['cut inside a 16-bit length', [2 + 4 + 3 + 2 + 4 + 4 + 2 + 4 + 2 + 3]],
    ['cut inside every mask', [3, 5, 12, 14]],
  ])('parses the stream %s', (_name, cuts) => {
    const { p, r } = parser();
    for (const piece of cutAt(Buffer.from(stream), cuts)) p.push(piece);
    expect(r.frames).toEqual(expected);
    expect(r.errors).toEqual([]);
  });

  it('parses the stream one byte at a time', () => {
    const { p, r } = parser();
    for (const piece of oneByteAtATime(Buffer.from(stream))) p.push(piece);
    expect(r.frames).toEqual(expected);
  });

  it('hands RSV bits that were claimed to the handler', () => {
    const { p, r } = parser({ allowedRsv: 0b110 });
    p.push(masked(Opcode.Binary, 'x', { rsv: 0b110 }));
    expect(r.frames).toEqual([frame(Opcode.Binary, 'x', true, 0b110)]);
  });

  it('delivers an empty frame', () => {
    const { p, r } = parser();
    p.push(masked(Opcode.Text, ''));
    expect(r.frames).toEqual([frame(Opcode.Text, '')]);
  });

  it('ignores an empty chunk', () => {
    const { p, r } = parser();
    p.push(Buffer.alloc(0));
    expect(r.frames).toEqual([]);
    expect(p.bufferedBytes).toBe(0);
  });
});

describe('RFC 6455 §10.4: sizes are refused from the header, before any payload is held', () => {
  it('fails on a 2^62-byte header as soon as its 10 bytes are in, with nothing buffered', () => {
    const { p, r } = parser({ maxPayload: 1 << 20 });
    p.push(hex('82 ff 40 00 00 00 00 00 00 00'));
    expect(r.errors.map((e) => e.code)).toEqual(['WS_ERR_MESSAGE_TOO_BIG']);
    expect(r.errors[0].closeCode).toBe(1009);
    expect(p.bufferedBytes).toBe(0);
  });

  it('does not fail before the last length byte arrives', () => {
    const { p, r } = parser({ maxPayload: 1 << 20 });
    const header = hex('82 ff 40 00 00 00 00 00 00 00');
    for (const byte of oneByteAtATime(header.subarray(0, 9))) p.push(byte);
    expect(r.errors).toEqual([]);
    p.push(header.subarray(9));
    expect(r.errors.map((e) => e.code)).toEqual(['WS_ERR_MESSAGE_TOO_BIG']);
  });

  it('fails on a 16-bit length over maxPayload without waiting for the mask', () => {
    const { p, r } = parser({ maxPayload: 1000 });
    p.push(frameHeader(Opcode.Binary, 1001));
    expect(r.errors.map((e) => e.closeCode)).toEqual([1009]);
  });

  it('accepts a message of exactly maxPayload bytes', () => {
    const { p, r } = parser({ maxPayload: 1000 });
    p.push(masked(Opcode.Binary, Buffer.alloc(1000)));
    expect(r.errors).toEqual([]);
    expect(r.frames).toHaveLength(1);
  });

  it('counts fragments towards maxPayload, but not control frames between them', () => {
    const { p, r } = parser({ maxPayload: 10 });
    p.push(masked(Opcode.Text, '12345', { fin: false }));
    p.push(masked(Opcode.Ping, 'x'.repeat(125)));
    p.push(masked(Opcode.Continuation, '67890'));
    expect(r.errors).toEqual([]);
    expect(r.frames).toHaveLength(3);
  });

  it('starts counting afresh for the next message', () => {
    const { p, r } = parser({ maxPayload: 10 });
    p.push(masked(Opcode.Text, '12345', { fin: false }));
    p.push(masked(Opcode.Continuation, '67890'));
    p.push(masked(Opcode.Binary, '0123456789'));
    expect(r.errors).toEqual([]);
    expect(r.frames).toHaveLength(3);
  });

  it('holds a 64-bit length under 2^53 when there is no limit, waiting for the payload', () => {
    const { p, r } = parser();
    p.push(Buffer.concat([hex('82 ff 00 1f ff ff ff ff ff ff'), hex('00 00 00 00'), Buffer.alloc(10)]));
    expect(r.errors).toEqual([]);
    expect(r.frames).toEqual([]);
    expect(p.bufferedBytes).toBe(10);
  });
});

describe('RFC 6455 §7.1.7: a failed parser discards everything', () => {
  it('drops the rest of the chunk and every later chunk', () => {
    const { p, r } = parser();
    p.push(Buffer.concat([hex('81 00'), masked(Opcode.Text, 'after')]));
    p.push(masked(Opcode.Text, 'later'));
    expect(r.errors.map((e) => e.code)).toEqual(['WS_ERR_UNMASKED_FRAME']);
    expect(r.frames).toEqual([]);
    expect(p.bufferedBytes).toBe(0);
  });

  it('stops for good on stop()', () => {
    const { p, r } = parser();
    p.push(masked(Opcode.Text, 'He').subarray(0, 4));
    p.stop();
    p.push(masked(Opcode.Text, 'x'));
    expect(r.frames).toEqual([]);
    expect(p.bufferedBytes).toBe(0);
  });
});

describe('FrameParser: pausing', () => {
  it('waits after a frame when the handler returns false, buffering what comes', () => {
    const { p, r } = parser();
    r.answer = false;
    p.push(Buffer.concat([masked(Opcode.Text, 'a'), masked(Opcode.Text, 'b')]));
    p.push(masked(Opcode.Text, 'c'));
    expect(r.frames.map((f) => f.payload)).toEqual(['a']);
    expect(p.isPaused).toBe(true);
    expect(p.bufferedBytes).toBe(2 * 7);
  });

  it('goes on with the buffered frames on resume()', () => {
    const { p, r } = parser();
    r.answer = false;
    p.push(Buffer.concat([masked(Opcode.Text, 'a'), masked(Opcode.Text, 'b'), masked(Opcode.Text, 'c')]));
    r.answer = true;
    p.resume();
    expect(r.frames.map((f) => f.payload)).toEqual(['a', 'b', 'c']);
    expect(p.isPaused).toBe(false);
  });

  it('does not pause when the handler stopped it', () => {
    const { p, r } = parser();
    r.answer = false;
    r.onFrameHook = () => p.stop();
    p.push(Buffer.concat([masked(Opcode.Text, 'a'), masked(Opcode.Text, 'b')]));
    p.resume();
    expect(r.frames.map((f) => f.payload)).toEqual(['a']);
    expect(p.isPaused).toBe(false);
  });
});

describe('FrameParser: a throwing handler leaves it sound', () => {
  it('parses the next frame after the handler threw on the previous one', () => {
    const { p, r } = parser();
    r.onFrameHook = () => {
      if (r.frames.length === 1) throw new Error('listener bug');
    };
    expect(() => p.push(masked(Opcode.Text, 'a', { fin: false }))).toThrow('listener bug');
    p.push(masked(Opcode.Continuation, 'b'));
    expect(r.frames).toEqual([frame(Opcode.Text, 'a', false), frame(Opcode.Continuation, 'b')]);
    expect(r.errors).toEqual([]);
  });
});

describe('FrameParser: streamText shows a text frame still arriving', () => {
  /** Records onTextPayload pieces (unmasked) and the `reported` count of each frame. */
  class StreamRecorder extends Recorder {
    readonly pieces: string[] = [];
    readonly reported: number[] = [];
    /** What onTextPayload returns; when false it stops the parser first, as Protocol does. */
    accept = true;
    parser: FrameParser | null = null;

    override onFrame(opcode: number, fin: boolean, rsv: number, payload: Buffer, reported = 0): boolean {
      this.reported.push(reported);
      return super.onFrame(opcode, fin, rsv, payload);
    }
    onTextPayload(bytes: Buffer): boolean {
      this.pieces.push(bytes.toString('latin1'));
      if (!this.accept) this.parser!.stop();
      return this.accept;
    }
  }

  function streaming(streamText = true): { p: FrameParser; r: StreamRecorder } {
    const r = new StreamRecorder();
    const p = new FrameParser(r, { maxPayload: 0, allowedRsv: 0, streamText });
    r.parser = p;
    return { p, r };
  }

  const payload = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(40); // 1440 bytes: past the native unmask size
  const wire = masked(Opcode.Text, payload, { key: hex('12 34 56 78') });
  const start = wire.length - payload.length;

  it('shows nothing of a frame that arrives whole', () => {
    const { p, r } = streaming();
    p.push(Buffer.from(wire));
    expect([r.pieces, r.reported, r.frames]).toEqual([[], [0], [frame(Opcode.Text, payload)]]);
  });

  it('shows each new piece unmasked, then delivers the frame intact with the count shown', () => {
    const { p, r } = streaming();
    const cuts = [start + 1, start + 5, start + 1031, start + 1400];
    for (const piece of cutAt(Buffer.from(wire), cuts)) p.push(Buffer.from(piece));
    expect(r.pieces.join('')).toBe(payload.slice(0, 1400));
    expect(r.reported).toEqual([1400]);
    expect(r.frames).toEqual([frame(Opcode.Text, payload)]);
  });

  it('delivers the frame intact one byte at a time (small chunks packed into blocks)', () => {
    const { p, r } = streaming();
    for (const byte of oneByteAtATime(Buffer.from(wire))) p.push(Buffer.from(byte));
    expect(r.pieces).toEqual(payload.slice(0, -1).split(''));
    expect(r.frames).toEqual([frame(Opcode.Text, payload)]);
  });

  it('shows continuations of a text message, not binary frames nor control frames', () => {
    const { p, r } = streaming();
    const bytes = Buffer.concat([
      masked(Opcode.Binary, 'bin!'),
      masked(Opcode.Text, 'te', { fin: false }),
      masked(Opcode.Ping, 'pi'),
      masked(Opcode.Continuation, 'xt'),
    ]);
    for (const byte of oneByteAtATime(bytes)) p.push(Buffer.from(byte));
    expect(r.pieces).toEqual(['t', 'x']);
    expect(r.frames.map((f) => f.payload)).toEqual(['bin!', 'te', 'pi', 'xt']);
  });

  it('shows nothing without streamText', () => {
    const { p, r } = streaming(false);
    for (const piece of cutAt(Buffer.from(wire), [start + 10])) p.push(Buffer.from(piece));
    expect([r.pieces, r.reported, r.frames]).toEqual([[], [0], [frame(Opcode.Text, payload)]]);
  });

  it('stops at once when the handler refuses a piece', () => {
    const { p, r } = streaming();
    r.accept = false;
    p.push(Buffer.from(wire.subarray(0, start + 10)));
    p.push(Buffer.from(wire.subarray(start + 10)));
    expect([r.pieces, r.frames]).toEqual([[payload.slice(0, 10)], []]);
    expect(p.bufferedBytes).toBe(0);
  });
});
