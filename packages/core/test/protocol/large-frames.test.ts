/**
 * Large frames across socket chunks (frame-parser.ts `fill`: copied out unmasked as they
 * arrive) and large messages sent on as they came (headroom.ts: the header written into the
 * bytes before the payload, one chunk out). Whatever the cut, frames come out intact, text is
 * still checked before its frame is complete (RFC 6455 §8.1), and what the application holds
 * never changes.
 */
import { FrameParser, Opcode, type FrameHandler, type WebSocketError } from '@ws/core';
import { copyUnmasking } from '../../src/protocol/mask';
import { isReceivedText } from '../../src/protocol/text-codec';
import { SansIo } from '../helpers/sans-io-harness';
import { cutAt, hex, masked, prng, randomBytes } from '../helpers/sans-io-frames';

const KEY = hex('a1 b2 c3 d4');
const LARGE = 40_000; // past the fill's 16 KiB and the writer's 8 KiB merge limit

class Recorder implements FrameHandler {
  readonly frames: { opcode: number; fin: boolean; payload: Buffer; reported: number }[] = [];
  readonly pieces: Buffer[] = [];
  readonly errors: WebSocketError[] = [];
  parser: FrameParser | null = null;
  /** onTextPayload refuses (and stops the parser, as Protocol does) once this many bytes were shown. */
  refuseAfter = Infinity;
  answer = true;
  private shown = 0;

  onFrame(opcode: number, fin: boolean, _rsv: number, payload: Buffer, reported: number): boolean {
    this.frames.push({ opcode, fin, payload: Buffer.from(payload), reported });
    return this.answer;
  }
  onTextPayload(bytes: Buffer): boolean {
    this.pieces.push(Buffer.from(bytes));
    this.shown += bytes.length;
    if (this.shown <= this.refuseAfter) return true;
    this.parser!.stop();
    return false;
  }
  onParseError(error: WebSocketError): void {
    this.errors.push(error);
  }
}

function parser(streamText = true): { p: FrameParser; r: Recorder } {
  const r = new Recorder();
  const p = new FrameParser(r, { maxPayload: 0, allowedRsv: 0, streamText });
  r.parser = p;
  return { p, r };
}

const body = randomBytes(LARGE, prng(17));
const text = Buffer.from('0123456789abcdef'.repeat(LARGE / 16));
const binaryWire = masked(Opcode.Binary, body, { key: KEY });
const textWire = masked(Opcode.Text, text, { key: KEY });
const start = binaryWire.length - LARGE; // header and key: 8 bytes
const tail = masked(Opcode.Ping, 'after', { key: KEY });

describe('RFC 6455 §5.2-5.3: a large frame across chunks comes out intact', () => {
  it.each([
    ['a quarter first, then the rest', [start + LARGE / 4]],
    ['a little, then a quarter, then bytes at a time', [start + 100, start + 10_100, start + 10_101, start + 10_105]],
    ['in 1,000-byte pieces', Array.from({ length: 45 }, (_, i) => start + i * 1000 + 7)],
    ['cut inside its header', [3, start + 20_000]],
  ])('binary, %s', (_name, cuts) => {
    const { p, r } = parser();
    for (const piece of cutAt(Buffer.concat([binaryWire, tail]), cuts)) p.push(Buffer.from(piece));
    expect(r.frames.map((f) => [f.opcode, f.payload.equals(body), f.reported])).toEqual([
      [Opcode.Binary, true, 0],
      [Opcode.Ping, false, 0],
    ]);
    expect(r.frames[1].payload.toString()).toBe('after');
    expect([r.pieces, r.errors]).toEqual([[], []]);
  });

  it('shows text as it is filled, all but the piece that completes it, then the whole frame', () => {
    const { p, r } = parser();
    const cuts = [start + 5000, start + 15_000, start + 30_000, start + 39_000];
    for (const piece of cutAt(Buffer.concat([textWire, tail]), cuts)) p.push(Buffer.from(piece));
    const shown = Buffer.concat(r.pieces);
    expect(shown.equals(text.subarray(0, 39_000))).toBe(true);
    expect(r.frames.map((f) => [f.opcode, f.reported])).toEqual([
      [Opcode.Text, 39_000],
      [Opcode.Ping, 0],
    ]);
    expect(r.frames[0].payload.equals(text)).toBe(true);
  });

  it('stops at once when a filled text piece is refused, and drops the rest', () => {
    const { p, r } = parser();
    r.refuseAfter = 20_000;
    for (const piece of cutAt(textWire, [start + 15_000, start + 25_000])) p.push(Buffer.from(piece));
    p.push(Buffer.from(tail));
    expect([r.frames, r.pieces.length, p.bufferedBytes]).toEqual([[], 2, 0]);
  });

  it('keeps what follows the frame when the handler pauses, and goes on at resume()', () => {
    const { p, r } = parser();
    r.answer = false;
    for (const piece of cutAt(Buffer.concat([binaryWire, tail]), [start + 20_000])) p.push(Buffer.from(piece));
    expect([r.frames.length, p.isPaused]).toEqual([1, true]);
    r.answer = true;
    p.resume();
    expect(r.frames.map((f) => f.opcode)).toEqual([Opcode.Binary, Opcode.Ping]);
  });

  it('keeps what follows the frame when the handler throws', () => {
    const { p, r } = parser();
    let thrown = false;
    r.onFrame = function (opcode, fin, rsv, payload, reported) {
      Recorder.prototype.onFrame.call(this, opcode, fin, rsv, payload, reported);
      if (!thrown) {
        thrown = true;
        throw new Error('listener');
      }
      return true;
    };
    const [first, second] = cutAt(Buffer.concat([binaryWire, tail]), [start + 20_000]);
    p.push(Buffer.from(first));
    expect(() => p.push(Buffer.from(second))).toThrow('listener');
    p.resume();
    expect(r.frames.map((f) => f.opcode)).toEqual([Opcode.Binary, Opcode.Ping]);
  });

  it('holds nothing but the frame itself before a quarter of it has come', () => {
    const { p } = parser(false);
    p.push(Buffer.from(binaryWire.subarray(0, start + 9000)));
    expect(p.bufferedBytes).toBe(9000); // queued: under a quarter of 40,000
    p.push(Buffer.from(binaryWire.subarray(start + 9000, start + 11_000)));
    expect(p.bufferedBytes).toBe(0); // moved into the frame's own Buffer
  });
});

describe('a large message sent back as it came leaves as one chunk (headroom.ts)', () => {
  const echo = (io: SansIo, data: string | Buffer, isBinary: boolean): void => {
    if (typeof data === 'string') io.protocol.sendText(data, false);
    else io.protocol.send(data, isBinary, false);
  };

  it.each([
    ['binary, whole in one chunk', binaryWire, [] as number[], false],
    ['binary, across chunks', binaryWire, [start + 20_000], false],
    ['text as a Buffer, whole', textWire, [], true],
  ])('%s', (_name, wire, cuts, textAsBuffer) => {
    const io = new SansIo({ textAsBuffer });
    io.handler.onMessageHook = (data, isBinary) => echo(io, data, isBinary);
    io.receive(...cutAt(Buffer.from(wire), cuts));
    const [frame] = io.sent();
    expect(io.sink.chunks).toHaveLength(1);
    expect(frame.payload.equals(wire === binaryWire ? body : text)).toBe(true);
  });

  it('leaves the received Buffer as it was', () => {
    const io = new SansIo();
    let kept: Buffer | null = null;
    io.handler.onMessageHook = (data, isBinary) => {
      kept = data as Buffer;
      echo(io, data, isBinary);
    };
    io.receive(Buffer.from(binaryWire));
    expect(kept!.equals(body)).toBe(true);
  });

  it('uses the spare bytes once: a second send of the same Buffer writes its own header', () => {
    const io = new SansIo();
    io.handler.onMessageHook = (data, isBinary) => {
      echo(io, data, isBinary);
      echo(io, data, isBinary);
    };
    io.receive(Buffer.from(binaryWire));
    expect(io.sink.chunks).toHaveLength(3);
    expect(io.sent().map((f) => f.payload.equals(body))).toEqual([true, true]);
  });

  it('not once the receive call has returned', () => {
    const io = new SansIo();
    let kept: Buffer | null = null;
    io.handler.onMessageHook = (data) => (kept = data as Buffer);
    io.receive(Buffer.from(binaryWire));
    io.protocol.send(kept!, true, false);
    expect(io.sink.chunks).toHaveLength(2);
    expect(io.sent()[0].payload.equals(body)).toBe(true);
  });

  it('not for a message of several frames', () => {
    const io = new SansIo();
    io.handler.onMessageHook = (data, isBinary) => echo(io, data, isBinary);
    const half = LARGE / 2;
    io.receive(
      masked(Opcode.Binary, body.subarray(0, half), { fin: false, key: KEY }),
      masked(Opcode.Continuation, body.subarray(half), { key: KEY }),
    );
    expect(io.sink.chunks).toHaveLength(2);
    expect(io.sent()[0].payload.equals(body)).toBe(true);
  });
});

describe('copyUnmasking equals a copy and the byte loop', () => {
  it.each([0, 1, 5, 127, 128, 1023, 1024, 1025, 70_001])('for %i bytes at every target offset', (length) => {
    const source = randomBytes(length, prng(length + 3));
    const original = Buffer.from(source);
    for (let offset = 0; offset < 4; offset++) {
      const target = Buffer.alloc(length + 8, 0xee);
      copyUnmasking(source, 0xcafebabe, target, offset);
      const key = hex('ca fe ba be');
      const expected = Buffer.from(source.map((byte, i) => byte ^ key[i & 3]));
      expect(target.subarray(offset, offset + length).equals(expected)).toBe(true);
      expect(target[offset + length]).toBe(0xee);
      if (offset > 0) expect(target[offset - 1]).toBe(0xee);
    }
    expect(source.equals(original)).toBe(true);
  });
});

describe("textMessages: 'buffer': the text just received is known valid (text-codec.ts)", () => {
  it('while its listener runs, and no longer once the receive call returned', () => {
    const io = new SansIo({ textAsBuffer: true });
    let during = false;
    let kept: Buffer | null = null;
    io.handler.onMessageHook = (data) => {
      kept = data as Buffer;
      during = isReceivedText(kept);
    };
    io.receive(masked(Opcode.Text, 'héllo', { key: KEY }));
    expect([during, isReceivedText(kept!), kept!.toString()]).toEqual([true, false, 'héllo']);
  });

  it('never for binary', () => {
    const io = new SansIo({ textAsBuffer: true });
    let during = true;
    io.handler.onMessageHook = (data) => (during = isReceivedText(data as Buffer));
    io.receive(masked(Opcode.Binary, 'abc', { key: KEY }));
    expect(during).toBe(false);
  });
});
