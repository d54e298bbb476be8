/**
 * Every way a client's bytes can break RFC 6455, as one table: bytes in → error code and close
 * code out. Each row is followed by a valid text frame that must be ignored (§7.1.7: after
 * failing, input is discarded), and the table is fed whole, one byte at a time and in random
 * cuts, with the same observable result each time.
 */
import fc from 'fast-check';
import { CloseCode, Opcode, Rsv1, Rsv2, Rsv3, type ProtocolOptions } from '@ws/core';
import { frameHeader } from '../helpers/frames';
import { closeBody, cutAt, hex, masked, oneByteAtATime } from '../helpers/sans-io-frames';
import { SansIo, expectFailure } from '../helpers/sans-io-harness';

interface Row {
  name: string;
  bytes: Buffer;
  code: string;
  closeCode: number;
  options?: Partial<ProtocolOptions>;
}

const { ProtocolError, InvalidPayload, MessageTooBig } = CloseCode;
const text = (payload: string | number[], fin = true, rsv = 0): Buffer => masked(Opcode.Text, payload, { fin, rsv });
const cont = (payload: string | number[], fin = true, rsv = 0): Buffer =>
  masked(Opcode.Continuation, payload, { fin, rsv });
const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
const MASK = hex('00 00 00 00');

const rows: Row[] = [
  // §5.1, §5.3: a server must fail on an unmasked frame.
  {
    name: 'unmasked text',
    bytes: hex('81 05 48 65 6c 6c 6f'),
    code: 'WS_ERR_UNMASKED_FRAME',
    closeCode: ProtocolError,
  },
  { name: 'unmasked ping', bytes: hex('89 00'), code: 'WS_ERR_UNMASKED_FRAME', closeCode: ProtocolError },
  { name: 'unmasked close', bytes: hex('88 02 03 e8'), code: 'WS_ERR_UNMASKED_FRAME', closeCode: ProtocolError },
  {
    name: 'unmasked continuation mid-message',
    bytes: cat(text('a', false), hex('80 01 62')),
    code: 'WS_ERR_UNMASKED_FRAME',
    closeCode: ProtocolError,
  },

  // §5.2: reserved opcodes.
  ...[0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf].map((opcode) => ({
    name: `reserved opcode 0x${opcode.toString(16)}`,
    bytes: masked(opcode, 'x'),
    code: 'WS_ERR_INVALID_OPCODE',
    closeCode: ProtocolError,
  })),

  // §5.2: RSV bits must be 0 unless an extension claimed them.
  ...[Rsv1, Rsv2, Rsv3, Rsv1 | Rsv2 | Rsv3].map((rsv) => ({
    name: `text with RSV ${rsv.toString(2).padStart(3, '0')} and nothing negotiated`,
    bytes: text('x', true, rsv),
    code: 'WS_ERR_UNEXPECTED_RSV',
    closeCode: ProtocolError,
  })),
  {
    name: 'text with RSV2 when only RSV1 is claimed',
    bytes: text('x', true, Rsv2),
    code: 'WS_ERR_UNEXPECTED_RSV',
    closeCode: ProtocolError,
    options: { allowedRsv: Rsv1 },
  },
  {
    name: 'continuation with a claimed RSV1',
    bytes: cat(text('a', false, Rsv1), cont('b', true, Rsv1)),
    code: 'WS_ERR_UNEXPECTED_RSV',
    closeCode: ProtocolError,
    options: { allowedRsv: Rsv1 },
  },
  {
    name: 'ping with a claimed RSV1',
    bytes: masked(Opcode.Ping, 'p', { rsv: Rsv1 }),
    code: 'WS_ERR_UNEXPECTED_RSV',
    closeCode: ProtocolError,
    options: { allowedRsv: Rsv1 },
  },
  {
    name: 'close with a claimed RSV1',
    bytes: masked(Opcode.Close, closeBody(1000), { rsv: Rsv1 }),
    code: 'WS_ERR_UNEXPECTED_RSV',
    closeCode: ProtocolError,
    options: { allowedRsv: Rsv1 },
  },
  {
    name: 'pong with RSV3',
    bytes: masked(Opcode.Pong, '', { rsv: Rsv3 }),
    code: 'WS_ERR_UNEXPECTED_RSV',
    closeCode: ProtocolError,
  },

  // §5.5: control frames are never fragmented and carry at most 125 bytes.
  {
    name: 'ping without FIN',
    bytes: masked(Opcode.Ping, 'p', { fin: false }),
    code: 'WS_ERR_FRAGMENTED_CONTROL',
    closeCode: ProtocolError,
  },
  {
    name: 'pong without FIN',
    bytes: masked(Opcode.Pong, 'p', { fin: false }),
    code: 'WS_ERR_FRAGMENTED_CONTROL',
    closeCode: ProtocolError,
  },
  {
    name: 'close without FIN',
    bytes: masked(Opcode.Close, closeBody(1000), { fin: false }),
    code: 'WS_ERR_FRAGMENTED_CONTROL',
    closeCode: ProtocolError,
  },
  {
    name: 'ping of 126 bytes (16-bit length)',
    bytes: masked(Opcode.Ping, Buffer.alloc(126)),
    code: 'WS_ERR_CONTROL_TOO_LONG',
    closeCode: ProtocolError,
  },
  {
    name: 'close of 126 bytes (16-bit length)',
    bytes: masked(Opcode.Close, closeBody(1000, 'r'.repeat(124))),
    code: 'WS_ERR_CONTROL_TOO_LONG',
    closeCode: ProtocolError,
  },
  {
    name: 'pong with the 64-bit length form',
    bytes: cat(frameHeader(Opcode.Pong, 0x10000), MASK),
    code: 'WS_ERR_CONTROL_TOO_LONG',
    closeCode: ProtocolError,
  },
  {
    name: 'ping with the 16-bit form for 5 bytes',
    bytes: cat(hex('89 fe 00 05'), MASK, Buffer.from('Hello')),
    code: 'WS_ERR_CONTROL_TOO_LONG',
    closeCode: ProtocolError,
  },

  // §5.4: fragments follow the message they continue, and nothing else.
  {
    name: 'continuation with no message',
    bytes: cont('x'),
    code: 'WS_ERR_UNEXPECTED_CONTINUATION',
    closeCode: ProtocolError,
  },
  {
    name: 'non-final continuation with no message',
    bytes: cont('x', false),
    code: 'WS_ERR_UNEXPECTED_CONTINUATION',
    closeCode: ProtocolError,
  },
  {
    name: 'continuation after a finished message',
    bytes: cat(text('done'), cont('x')),
    code: 'WS_ERR_UNEXPECTED_CONTINUATION',
    closeCode: ProtocolError,
  },
  {
    name: 'text inside a fragmented text',
    bytes: cat(text('a', false), text('b')),
    code: 'WS_ERR_EXPECTED_CONTINUATION',
    closeCode: ProtocolError,
  },
  {
    name: 'binary inside a fragmented text',
    bytes: cat(text('a', false), masked(Opcode.Binary, 'b')),
    code: 'WS_ERR_EXPECTED_CONTINUATION',
    closeCode: ProtocolError,
  },
  {
    name: 'text inside a fragmented binary',
    bytes: cat(masked(Opcode.Binary, 'a', { fin: false }), text('b')),
    code: 'WS_ERR_EXPECTED_CONTINUATION',
    closeCode: ProtocolError,
  },

  // §5.2: the 64-bit length's most significant bit must be 0.
  {
    name: '64-bit length with the MSB set',
    bytes: hex('82 ff 80 00 00 00 00 00 00 00'),
    code: 'WS_ERR_INVALID_LENGTH',
    closeCode: ProtocolError,
  },
  {
    name: '64-bit length of all ones',
    bytes: hex('82 ff ff ff ff ff ff ff ff ff'),
    code: 'WS_ERR_INVALID_LENGTH',
    closeCode: ProtocolError,
  },

  // §5.2: "the minimal number of bytes MUST be used to encode the length".
  {
    name: '16-bit length for 5 bytes',
    bytes: hex('82 fe 00 05'),
    code: 'WS_ERR_INVALID_LENGTH',
    closeCode: ProtocolError,
  },
  {
    name: '16-bit length for 125 bytes',
    bytes: hex('82 fe 00 7d'),
    code: 'WS_ERR_INVALID_LENGTH',
    closeCode: ProtocolError,
  },
  {
    name: '64-bit length for 126 bytes',
    bytes: hex('82 ff 00 00 00 00 00 00 00 7e'),
    code: 'WS_ERR_INVALID_LENGTH',
    closeCode: ProtocolError,
  },
  {
    name: '64-bit length for 65535 bytes',
    bytes: hex('82 ff 00 00 00 00 00 00 ff ff'),
    code: 'WS_ERR_INVALID_LENGTH',
    closeCode: ProtocolError,
  },

  // §10.4: size limits, refused from the header alone.
  {
    name: '7-bit length over maxPayload',
    bytes: text('123456'),
    code: 'WS_ERR_MESSAGE_TOO_BIG',
    closeCode: MessageTooBig,
    options: { maxPayload: 5 },
  },
  {
    name: '16-bit length over maxPayload',
    bytes: hex('82 fe 00 7e'),
    code: 'WS_ERR_MESSAGE_TOO_BIG',
    closeCode: MessageTooBig,
    options: { maxPayload: 125 },
  },
  {
    name: '64-bit length of 2^62 over maxPayload',
    bytes: hex('82 ff 40 00 00 00 00 00 00 00'),
    code: 'WS_ERR_MESSAGE_TOO_BIG',
    closeCode: MessageTooBig,
    options: { maxPayload: 1 << 20 },
  },
  {
    name: '64-bit length of 2^53 with no limit',
    bytes: hex('82 ff 00 20 00 00 00 00 00 00'),
    code: 'WS_ERR_MESSAGE_TOO_BIG',
    closeCode: MessageTooBig,
  },
  {
    name: 'fragments that add up past maxPayload',
    bytes: cat(text('123456', false), cont('789012')),
    code: 'WS_ERR_MESSAGE_TOO_BIG',
    closeCode: MessageTooBig,
    options: { maxPayload: 10 },
  },
  {
    name: 'three fragments past maxPayload',
    bytes: cat(text('1234', false), cont('5678', false), cont('9ab')),
    code: 'WS_ERR_MESSAGE_TOO_BIG',
    closeCode: MessageTooBig,
    options: { maxPayload: 10 },
  },

  // §8.1: text must be UTF-8.
  { name: 'text byte ff', bytes: text([0xff]), code: 'WS_ERR_INVALID_UTF8', closeCode: InvalidPayload },
  { name: 'text overlong c0 80', bytes: text([0xc0, 0x80]), code: 'WS_ERR_INVALID_UTF8', closeCode: InvalidPayload },
  {
    name: 'text surrogate ed a0 80',
    bytes: text([0x61, 0xed, 0xa0, 0x80]),
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: InvalidPayload,
  },
  {
    name: 'text ending mid code point',
    bytes: text([0x61, 0xe2, 0x82]),
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: InvalidPayload,
  },
  {
    name: 'fragmented text with a bad first fragment',
    bytes: cat(text([0xf5], false), cont('ok')),
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: InvalidPayload,
  },
  {
    name: 'fragmented text ending mid code point',
    bytes: cat(text([0xf0, 0x9f], false), cont([0x98])),
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: InvalidPayload,
  },

  // §5.5.1, §7.4: close frame bodies.
  {
    name: 'close body of 1 byte',
    bytes: masked(Opcode.Close, [0x03]),
    code: 'WS_ERR_INVALID_CLOSE_PAYLOAD',
    closeCode: ProtocolError,
  },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code) => ({
    name: `close code ${code}`,
    bytes: masked(Opcode.Close, closeBody(code)),
    code: 'WS_ERR_INVALID_CLOSE_CODE',
    closeCode: ProtocolError,
  })),
  {
    name: 'close reason ff',
    bytes: masked(Opcode.Close, closeBody(1000, [0xff])),
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: InvalidPayload,
  },
  {
    name: 'close reason with a surrogate',
    bytes: masked(Opcode.Close, closeBody(1000, [0xed, 0xb0, 0x80])),
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: InvalidPayload,
  },
  {
    name: 'close reason cut mid code point',
    bytes: masked(Opcode.Close, closeBody(1001, [0x62, 0x79, 0xe2, 0x82])),
    code: 'WS_ERR_INVALID_UTF8',
    closeCode: InvalidPayload,
  },
];

/** A valid frame after the bad bytes: it must never come out (RFC 6455 §7.1.7). */
const TRAILER = text('after');

function run(row: Row, pieces: Buffer[]): SansIo {
  return new SansIo(row.options).receive(...pieces);
}

describe('RFC 6455 §5-§8: rejected input (fed whole)', () => {
  it.each(rows)('$name → $code ($closeCode)', (row) => {
    const io = run(row, [cat(row.bytes, TRAILER)]);
    expectFailure(io, row.code, row.closeCode);
    expect(io.messages()).toEqual(row.name === 'continuation after a finished message' ? ['done'] : []);
  });
});

describe('RFC 6455 §5-§8: rejected input (fed one byte at a time)', () => {
  it.each(rows)('$name → the same result', (row) => {
    const whole = run(row, [cat(row.bytes, TRAILER)]);
    const bytewise = run(row, oneByteAtATime(cat(row.bytes, TRAILER)));
    expectFailure(bytewise, row.code, row.closeCode);
    expect(bytewise.outcome()).toEqual(whole.outcome());
  });
});

describe('RFC 6455 §5-§8: rejected input (fed in random cuts)', () => {
  it('gives the same result however the bytes are cut', () => {
    const expected = rows.map((row) => run(row, [cat(row.bytes, TRAILER)]).outcome());
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: rows.length - 1 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 12 }),
        (index, cuts) => {
          const row = rows[index];
          const io = run(row, cutAt(cat(row.bytes, TRAILER), cuts));
          expect(io.outcome()).toEqual(expected[index]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('RFC 6455 §7.1.7: after failing, input is discarded', () => {
  it('ignores a later chunk entirely', () => {
    const io = new SansIo().receive(hex('81 05 48 65 6c 6c 6f'));
    const before = io.outcome();
    io.receive(text('later'), masked(Opcode.Ping, 'p'), masked(Opcode.Close, closeBody(1000)));
    expect(io.outcome()).toEqual(before);
    expect(io.protocol.bufferedInput).toBe(0);
  });

  it('writes the close frame with the failure code and the error message as reason', () => {
    const io = new SansIo().receive(masked(0x3, ''));
    const [close] = io.sent();
    expect(close.payload.readUInt16BE(0)).toBe(1002);
    expect(close.payload.subarray(2).toString()).toBe(io.failures()[0].message);
  });

  it('reports onCloseWritten once, before onFail', () => {
    const io = new SansIo().receive(masked(0x3, ''));
    expect(io.events.map((e) => e.type)).toEqual(['closeWritten', 'fail']);
  });

  it('delivers the messages that came before the bad frame', () => {
    const io = new SansIo().receive(cat(text('one'), masked(Opcode.Binary, 'two'), masked(0xf, '')));
    expect(io.messages()).toEqual(['one', Buffer.from('two')]);
    expectFailure(io, 'WS_ERR_INVALID_OPCODE', 1002);
  });
});
