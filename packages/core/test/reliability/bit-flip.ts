/**
 * The single-bit flip: anywhere in the stream, decided where RFC 6455 decides it (RSV2 or RSV3,
 * RSV1 where nothing claims it, the mask bit: 1002; a payload or key bit of an uncompressed
 * message: that message arrives changed, or 1007 if text stops being UTF-8; a ping's payload: no
 * effect), and otherwise any answer after the messages before the flipped frame.
 */
import { isUtf8 } from 'node:buffer';
import { INVALID_PAYLOAD, PROTOCOL_ERROR, intact, undecided, type Context, type Mutated } from './mutation-kit';
import { OP, messagesBefore } from './streams';
import { encodeFrames, headerLength, isControl } from './wire';

/** One bit flipped anywhere; decided where RFC 6455 decides it, else any answer. */
export function bitFlip(context: Context): Mutated | null {
  const { random, stream, profile } = context;
  const { bytes, starts } = encodeFrames(stream.frames);
  if (bytes.length === 0) return null;
  const at = random.int(0, bytes.length - 1);
  const bit = 1 << random.int(0, 7);
  const flipped = Buffer.from(bytes);
  flipped[at] ^= bit;
  let index = starts.length - 1;
  while (starts[index] > at) index--;
  const frame = stream.frames[index];
  const offset = at - starts[index];
  const head = headerLength(frame);
  const decided = (code: number): Mutated => ({
    bytes: flipped,
    expect: {
      label: 'bit-flip',
      closes: [code],
      messages: stream.messages.slice(0, messagesBefore(stream.frames, index)),
      exact: true,
    },
  });
  const control = isControl(frame.opcode);
  if (offset === 0 && (bit === 0x20 || bit === 0x10)) return decided(PROTOCOL_ERROR); // RSV2, RSV3: never negotiated
  if (offset === 0 && bit === 0x40 && (!profile.deflate || control || frame.opcode === OP.continuation))
    return decided(PROTOCOL_ERROR);
  if (offset === 1 && bit === 0x80) return decided(PROTOCOL_ERROR); // the mask bit
  if (offset >= head && (frame.opcode === OP.ping || frame.opcode === OP.pong)) {
    return { bytes: flipped, expect: intact(stream, 'bit-flip') }; // a different ping payload, answered as it is
  }
  const message = frame.message >= 0 ? stream.messages[frame.message] : null;
  const compressed = message !== null && stream.frames.find((f) => f.message === frame.message)!.rsv !== 0;
  if (offset >= head && message !== null && !compressed) {
    // The key or the payload: the message arrives with those bits changed (masking is XOR).
    const data = Buffer.from(message.data);
    const length = frame.payload.length;
    const positions = offset < head + 4 ? range(offset - head, length, 4) : [offset - head - 4];
    for (const p of positions) data[frame.messageOffset + p] ^= bit;
    if (!message.binary && !isUtf8(data)) return decided(INVALID_PAYLOAD);
    const messages = stream.messages.map((m, i) => (i === frame.message ? { ...m, data } : m));
    return { bytes: flipped, expect: intact(stream, 'bit-flip', messages) };
  }
  return undecided(stream.frames, index, stream, 'bit-flip', flipped);
}

function range(start: number, end: number, step: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i += step) out.push(i);
  return out;
}
