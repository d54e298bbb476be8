/**
 * The client handshake, sans-I/O: the request text, the response-head reader (chunks cut
 * anywhere, a size limit) and the response rules of RFC 6455 §4.1, one case per rule.
 */
import { HandshakeError } from '@ws/core';
import { type HandshakeRequest, buildRequest, createKey, validateResponse } from '../../src/client/client-handshake';
import { MAX_HEAD_BYTES, ResponseHeadReader, parseHead } from '../../src/client/response-head';
import { expectedAccept } from '../helpers/raw-ws-client';
import { xorClientExtension } from '../helpers/xor-client-extension';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const REQUEST: HandshakeRequest = {
  path: '/chat',
  host: 'server.example.com',
  key: KEY,
  protocols: ['chat', 'superchat'],
  extensions: [],
  origin: 'http://example.com',
  headers: [['X-Extra', 'yes']],
};

/** A response head: the RFC §1.3 example answer with lines replaced (`Name: value`) or removed (`Name:`). */
function response(...changes: string[]): string {
  const lines = new Map([
    ['upgrade', 'Upgrade: websocket'],
    ['connection', 'Connection: Upgrade'],
    ['sec-websocket-accept', 'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo='],
  ]);
  let status = 'HTTP/1.1 101 Switching Protocols';
  for (const change of changes) {
    if (change.startsWith('HTTP/')) status = change;
    else if (change.endsWith(':')) lines.delete(change.slice(0, -1).toLowerCase());
    else lines.set(change.slice(0, change.indexOf(':')).toLowerCase(), change);
  }
  return [status, ...lines.values()].join('\r\n');
}

const check = (head: string, request: HandshakeRequest = REQUEST) => validateResponse(parseHead(head), request);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof HandshakeError) return error.code;
    throw error;
  }
  return 'none';
}

describe('the request', () => {
  it('has every header of RFC 6455 §4.1, in the §1.3 example’s shape', () => {
    expect(buildRequest(REQUEST).split('\r\n')).toEqual([
      'GET /chat HTTP/1.1',
      'Host: server.example.com',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${KEY}`,
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Protocol: chat, superchat',
      'Origin: http://example.com',
      'X-Extra: yes',
      '',
      '',
    ]);
  });

  it('carries the extensions’ offers', () => {
    const text = buildRequest({ ...REQUEST, extensions: [xorClientExtension(3)] });
    expect(text).toContain('\r\nSec-WebSocket-Extensions: x-xor; key=3\r\n');
  });

  it('leaves out what was not asked for', () => {
    const text = buildRequest({ ...REQUEST, protocols: [], origin: undefined, headers: [] });
    expect(text).not.toMatch(/Protocol|Origin|Extensions/);
  });

  it('makes a fresh key of 16 random bytes each time', () => {
    const keys = new Set(Array.from({ length: 100 }, createKey));
    expect(keys.size).toBe(100);
    for (const key of keys) expect(Buffer.from(key, 'base64')).toHaveLength(16);
  });
});

describe('the response head reader', () => {
  const bytes = Buffer.from(`${response()}\r\n\r\n\x81\x02hi`, 'latin1');

  it('reads a head cut at every byte, and keeps what follows it', () => {
    const reader = new ResponseHeadReader();
    let result: ReturnType<ResponseHeadReader['push']> = null;
    for (let i = 0; i < bytes.length && result === null; i++) result = reader.push(bytes.subarray(i, i + 1));
    expect(result!.head.status).toBe(101);
    expect(result!.rest).toEqual(Buffer.alloc(0)); // the frame came in later chunks
  });

  it('returns the bytes behind the head in the same chunk', () => {
    const result = new ResponseHeadReader().push(bytes)!;
    expect(result.rest).toEqual(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    expect(result.head.headers.get('sec-websocket-accept')).toEqual(['s3pPLMBiTxaQ9kYGzzhZRbK+xOo=']);
  });

  it('finds a terminator split across chunks', () => {
    const reader = new ResponseHeadReader();
    const end = bytes.indexOf('\r\n\r\n');
    expect(reader.push(bytes.subarray(0, end + 1))).toBeNull();
    expect(reader.push(bytes.subarray(end + 1, end + 3))).toBeNull();
    expect(reader.push(bytes.subarray(end + 3))!.rest.length).toBe(4);
  });

  it(`refuses a head past ${MAX_HEAD_BYTES} bytes`, () => {
    const reader = new ResponseHeadReader();
    expect(reader.push(Buffer.from('HTTP/1.1 101 OK\r\nX: '))).toBeNull();
    expect(() => reader.push(Buffer.alloc(MAX_HEAD_BYTES, 'a'))).toThrow(/over 16384 bytes/);
  });

  it.each([
    ['HTTP/2 101 x', 'status line'],
    ['HTTP/1.1 1011 x', 'status line'],
    ['ICY 200 OK', 'status line'],
    ['HTTP/1.1 101 OK\r\n folded: line', 'header line'],
    ['HTTP/1.1 101 OK\r\nbad name: x', 'header line'],
  ])('refuses %j', (head, what) => {
    expect(() => parseHead(head)).toThrow(new RegExp(`malformed handshake response: ${what}`));
  });

  it('keeps repeated headers in order', () => {
    expect(parseHead('HTTP/1.1 101 OK\r\nA: 1\r\na: 2').headers.get('a')).toEqual(['1', '2']);
  });
});

describe('the response rules (RFC 6455 §4.1)', () => {
  it('accepts the §1.3 example answer', () => {
    expect(check(response('Sec-WebSocket-Protocol: chat'))).toMatchObject({ protocol: 'chat', extensions: '' });
    expect(expectedAccept(KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it.each([
    ['a status other than 101', ['HTTP/1.1 200 OK'], 'ERR_WS_STATUS'],
    ['no Upgrade', ['Upgrade:'], 'ERR_WS_UPGRADE'],
    ['Upgrade not websocket', ['Upgrade: websocket2'], 'ERR_WS_UPGRADE'],
    ['no Connection', ['Connection:'], 'ERR_WS_CONNECTION'],
    ['Connection without upgrade', ['Connection: close'], 'ERR_WS_CONNECTION'],
    ['Connection: upgraded (not the token)', ['Connection: upgraded'], 'ERR_WS_CONNECTION'],
    ['no accept key', ['Sec-WebSocket-Accept:'], 'ERR_WS_ACCEPT_KEY'],
    ['a wrong accept key', ['Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA='], 'ERR_WS_ACCEPT_KEY'],
    ['an unoffered subprotocol', ['Sec-WebSocket-Protocol: other'], 'ERR_WS_SUBPROTOCOL'],
    ['a list of subprotocols', ['Sec-WebSocket-Protocol: chat, superchat'], 'ERR_WS_SUBPROTOCOL'],
    ['an unoffered extension', ['Sec-WebSocket-Extensions: x-xor'], 'ERR_WS_EXTENSION'],
  ])('refuses %s', (_what, changes, code) => {
    expect(codeOf(() => check(response(...changes)))).toBe(code);
  });

  it('checks the rules in the RFC’s order (status first, accept key before subprotocol)', () => {
    expect(codeOf(() => check(response('HTTP/1.1 404 Not Found', 'Upgrade:')))).toBe('ERR_WS_STATUS');
    expect(codeOf(() => check(response('Sec-WebSocket-Accept: x', 'Sec-WebSocket-Protocol: no')))).toBe(
      'ERR_WS_ACCEPT_KEY',
    );
  });

  it('accepts Upgrade and the Connection token in any case, among other tokens', () => {
    expect(codeOf(() => check(response('Upgrade: WebSocket', 'Connection: keep-alive, UpGrAdE')))).toBe('none');
  });
});
