import { decodeEnvelope, encodeEnvelope, HEADER_BYTES } from '../src/envelope';
import { isFrom, newOrigin } from '../src/envelope';

describe('envelope', () => {
  const origin = Buffer.from('0123456789abcdef', 'hex');

  test('round-trips the payload byte for byte, with its flags and sequence', () => {
    const payload = Buffer.from([0, 255, 0x80, 10, 13, 0]);
    const message = encodeEnvelope(origin, 7, payload, true, false);
    expect(message.length).toBe(HEADER_BYTES + payload.length);
    const envelope = decodeEnvelope(message)!;
    expect(envelope.payload.equals(payload)).toBe(true);
    expect(envelope.origin.equals(origin)).toBe(true);
    expect(envelope.sequence).toBe(7);
    expect(envelope.binary).toBe(true);
    expect(envelope.compress).toBe(false);
    expect(decodeEnvelope(encodeEnvelope(origin, 1, payload, false, true))).toMatchObject({
      binary: false,
      compress: true,
    });
  });

  test('sequences above 2^32 survive', () => {
    const sequence = 2 ** 40 + 12345;
    expect(decodeEnvelope(encodeEnvelope(origin, sequence, Buffer.alloc(0), false, false))!.sequence).toBe(sequence);
  });

  test('copies the payload: the publisher may reuse its buffer', () => {
    const payload = Buffer.from('abc');
    const message = encodeEnvelope(origin, 1, payload, false, false);
    payload.fill(0);
    expect(decodeEnvelope(message)!.payload.toString()).toBe('abc');
  });

  test('refuses what is not an envelope', () => {
    expect(decodeEnvelope(Buffer.from('hello'))).toBeUndefined();
    const message = encodeEnvelope(origin, 1, Buffer.from('x'), false, false);
    message[0] = 2;
    expect(decodeEnvelope(message)).toBeUndefined();
  });

  test('isFrom tells our own messages apart without decoding', () => {
    const message = encodeEnvelope(origin, 1, Buffer.from('x'), false, false);
    expect(isFrom(message, origin)).toBe(true);
    expect(isFrom(message, newOrigin())).toBe(false);
    expect(isFrom(Buffer.from('short'), origin)).toBe(false);
  });
});
