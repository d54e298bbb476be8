/**
 * RFC 6455 §1.3 and §4.2.2: Sec-WebSocket-Accept, and the exact bytes of the 101 answer and of
 * a rejection.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { acceptKey, isValidKey } from '../../src/handshake/accept-key';
import {
  acceptHeaders,
  acceptResponse,
  rejectResponse,
  validateUpgrade,
  type HandshakeRejection,
} from '../../src/handshake/handshake';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

describe('RFC 6455 §1.3: Sec-WebSocket-Accept', () => {
  it('is s3pPLMBiTxaQ9kYGzzhZRbK+xOo= for the example key', () => {
    expect(acceptKey(KEY)).toBe(ACCEPT);
  });

  it('is base64(SHA-1(key + GUID)) for any key (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const key = Buffer.from(bytes).toString('base64');
        const expected = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        expect(acceptKey(key)).toBe(expected);
        expect(isValidKey(key)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it.each([
    [KEY, true],
    [KEY.slice(0, 22), false],
    [`${KEY}=`, false],
    [` ${KEY}`, false],
  ])('isValidKey(%p) is %p', (key, valid) => {
    expect(isValidKey(key)).toBe(valid);
  });
});

describe('RFC 6455 §4.2.2: the 101 answer', () => {
  it('leaves out added lines that could split the response', () => {
    const headers = [...acceptHeaders(KEY, '', ''), 'Set-Cookie: a=1', 'X-Evil: 1\r\nInjected: yes'];
    expect(acceptResponse(headers)).toBe(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${ACCEPT}\r\n` +
        'Set-Cookie: a=1\r\n' +
        '\r\n',
    );
  });

  it('is exactly the status line, three headers and an empty line', () => {
    expect(acceptResponse(acceptHeaders(KEY, '', ''))).toBe(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${ACCEPT}\r\n` +
        '\r\n',
    );
  });

  it('names the chosen subprotocol and the accepted extensions', () => {
    expect(acceptResponse(acceptHeaders(KEY, 'chat', 'permessage-deflate; server_no_context_takeover'))).toBe(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${ACCEPT}\r\n` +
        'Sec-WebSocket-Protocol: chat\r\n' +
        'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n' +
        '\r\n',
    );
  });
});

describe('RFC 6455 §4.2.2: a rejection', () => {
  it('is a plain HTTP answer that closes the connection', () => {
    expect(rejectResponse({ status: 400, message: 'Missing Host header' })).toBe(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        'Content-Length: 19\r\n' +
        '\r\n' +
        'Missing Host header',
    );
  });

  it('carries Sec-WebSocket-Version: 13 for an unsupported version (426)', () => {
    const rejection = validateUpgrade({
      method: 'GET',
      httpVersionMajor: 1,
      httpVersionMinor: 1,
      headers: {
        host: 'h',
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': KEY,
        'sec-websocket-version': '8',
      },
    }) as HandshakeRejection;
    const text = rejectResponse(rejection);
    expect(text.startsWith('HTTP/1.1 426 Upgrade Required\r\n')).toBe(true);
    expect(text).toContain('\r\nSec-WebSocket-Version: 13\r\n');
  });

  it('carries Allow: GET for a wrong method (405)', () => {
    const text = rejectResponse({ status: 405, message: 'GET only', headers: { Allow: 'GET' } });
    expect(text.split('\r\n')).toEqual([
      'HTTP/1.1 405 Method Not Allowed',
      'Connection: close',
      'Content-Type: text/plain; charset=utf-8',
      'X-Content-Type-Options: nosniff',
      'Content-Length: 8',
      'Allow: GET',
      '',
      'GET only',
    ]);
  });

  it('counts Content-Length in bytes of UTF-8', () => {
    expect(rejectResponse({ status: 403, message: 'interdit é' })).toContain('Content-Length: 11\r\n');
  });

  it('uses "Error" for a status Node has no phrase for', () => {
    expect(rejectResponse({ status: 599, message: '' }).startsWith('HTTP/1.1 599 Error\r\n')).toBe(true);
  });

  it('drops a header whose name or value would split the response', () => {
    const text = rejectResponse({
      status: 401,
      message: 'no',
      headers: { 'X-Ok': 'fine', 'X-Evil': 'a\r\nSet-Cookie: stolen', 'X-Bad\nName': 'v' },
    });
    expect(text).toContain('X-Ok: fine\r\n');
    expect(text).not.toContain('Set-Cookie');
    expect(text).not.toContain('X-Bad');
  });
});
