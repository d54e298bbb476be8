/**
 * RFC 6455 §5.5.1 and §7.4: the close frame body (2-byte code, UTF-8 reason), the codes that
 * may go on the wire, and the one table that maps each peer error to its close code.
 */
import fc from 'fast-check';
import { CloseCode, ERROR_CLOSE_CODES, WebSocketError, isValidWireCloseCode, type WebSocketErrorCode } from '@ws/core';
import { encodeClosePayload, parseClosePayload } from '../../src/protocol/close-payload';
import { closeBody, hex } from '../helpers/sans-io-frames';

describe('RFC 6455 §7.4.1: close codes that may be sent', () => {
  it.each([
    [1000, true],
    [1003, true],
    [1004, false],
    [1005, false],
    [1006, false],
    [1007, true],
    [1014, true],
    [1015, false],
    [1016, false],
    [2999, false],
    [3000, true],
    [4999, true],
    [5000, false],
    [999, false],
    [0, false],
  ])('isValidWireCloseCode(%i) is %p', (code, valid) => {
    expect(isValidWireCloseCode(code)).toBe(valid);
  });
});

describe('RFC 6455 §5.5.1: parseClosePayload', () => {
  it('reads an empty body as 1005 with no reason', () => {
    expect(parseClosePayload(Buffer.alloc(0))).toEqual({ code: CloseCode.NoStatus, reason: '' });
  });

  it('reads a code and a UTF-8 reason', () => {
    expect(parseClosePayload(closeBody(4001, 'ça va'))).toEqual({ code: 4001, reason: 'ça va' });
  });

  it.each([
    ['1 byte', hex('03'), 'WS_ERR_INVALID_CLOSE_PAYLOAD', 1002],
    ['code 1005', closeBody(1005), 'WS_ERR_INVALID_CLOSE_CODE', 1002],
    ['code 999', closeBody(999), 'WS_ERR_INVALID_CLOSE_CODE', 1002],
    ['reason C0 80', closeBody(1000, [0xc0, 0x80]), 'WS_ERR_INVALID_UTF8', 1007],
  ])('returns the error for %s', (_name, body, code, closeCode) => {
    const result = parseClosePayload(body);
    expect(result).toBeInstanceOf(WebSocketError);
    expect({ code: (result as WebSocketError).code, closeCode: (result as WebSocketError).closeCode }).toEqual({
      code,
      closeCode,
    });
  });
});

describe('RFC 6455 §5.5.1: encodeClosePayload', () => {
  it.each([
    ['no code', undefined, undefined, ''],
    ['1000', 1000, undefined, '03 e8'],
    ['1000 ""', 1000, '', '03 e8'],
    ['3000 "é"', 3000, 'é', '0b b8 c3 a9'],
  ])('encodes %s', (_name, code, reason, bytes) => {
    expect(encodeClosePayload(code, reason)).toEqual(hex(bytes));
  });

  it('round-trips every sendable code with any reason that fits (fast-check)', () => {
    const code = fc.oneof(
      fc.integer({ min: 1000, max: 1003 }),
      fc.integer({ min: 1007, max: 1014 }),
      fc.integer({ min: 3000, max: 4999 }),
    );
    const reason = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((r) => Buffer.byteLength(r) <= 123);
    fc.assert(
      fc.property(code, reason, (c, r) => {
        expect(parseClosePayload(encodeClosePayload(c, r))).toEqual({ code: c, reason: r });
      }),
      { numRuns: 200 },
    );
  });
});

describe('protocol/errors.ts: one table of close codes', () => {
  it.each(Object.entries(ERROR_CLOSE_CODES))('%s closes with %i', (code, closeCode) => {
    const error = new WebSocketError(code as WebSocketErrorCode, 'why');
    expect(error).toBeInstanceOf(Error);
    expect({ name: error.name, code: error.code, closeCode: error.closeCode, message: error.message }).toEqual({
      name: 'WebSocketError',
      code,
      closeCode,
      message: 'why',
    });
  });

  it('lets an extension pick another close code', () => {
    expect(new WebSocketError('WS_ERR_EXTENSION_FAILED', 'x', CloseCode.MessageTooBig).closeCode).toBe(1009);
  });

  it('maps peer errors only to codes a peer can cause', () => {
    expect(new Set(Object.values(ERROR_CLOSE_CODES))).toEqual(new Set([1002, 1007, 1009, 1011]));
  });
});
