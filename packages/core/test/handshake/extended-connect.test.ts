/** RFC 8441 §4-5 as pure functions: an HTTP/2 header block in, an upgrade or a refusal out. */
import {
  acceptBlock,
  isWebSocketConnect,
  refusalBlock,
  validateExtendedConnect,
} from '../../src/handshake/extended-connect';
import { isRejection } from '../../src/handshake/handshake';

const VALID = {
  ':method': 'CONNECT',
  ':protocol': 'websocket',
  ':scheme': 'https',
  ':path': '/chat',
  ':authority': 'example.com',
  'sec-websocket-version': '13',
};

function statusOf(overrides: Record<string, string | undefined>): number | 'ok' {
  const result = validateExtendedConnect({ ...VALID, ...overrides });
  return isRejection(result) ? result.status : 'ok';
}

describe('RFC 8441 §4: which requests are WebSocket CONNECTs', () => {
  it.each([
    [{}, true],
    [{ ':protocol': 'WebSocket' }, true],
    [{ ':protocol': 'connect-udp' }, false],
    [{ ':protocol': undefined }, false],
    [{ ':method': 'GET' }, false],
  ])('%j → %s', (overrides, expected) => {
    expect(isWebSocketConnect({ ...VALID, ...overrides })).toBe(expected);
  });
});

describe('RFC 8441 §4-5: validating the extended CONNECT', () => {
  it.each([
    ['a valid request', {}, 'ok'],
    ['no :path', { ':path': undefined }, 400],
    ['no :scheme', { ':scheme': '' }, 400],
    ['no :authority nor Host', { ':authority': undefined }, 400],
    ['no :authority but a Host', { ':authority': undefined, host: 'example.com' }, 'ok'],
    ['not a CONNECT', { ':method': 'GET' }, 400],
    ['another :protocol', { ':protocol': 'connect-ip' }, 400],
    ['no version', { 'sec-websocket-version': undefined }, 400],
    ['version 8', { 'sec-websocket-version': '8' }, 426],
    ['a bad subprotocol list', { 'sec-websocket-protocol': 'a b' }, 400],
    ['a bad extension offer', { 'sec-websocket-extensions': 'deflate; =' }, 400],
  ])('%s → %s', (_name, overrides, expected) => {
    expect(statusOf(overrides)).toBe(expected);
  });

  it('needs no Sec-WebSocket-Key (§5) and reads the offers as HTTP/1.1 does', () => {
    const result = validateExtendedConnect({
      ...VALID,
      'sec-websocket-protocol': 'chat, superchat',
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    });
    expect(result).toEqual({
      key: '',
      protocols: ['chat', 'superchat'],
      extensionOffers: [{ name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] }],
    });
  });
});

describe('the answers', () => {
  it('accepts with :status 200 and lower-cased headers, dropping connection-specific and malformed lines', () => {
    expect(
      acceptBlock([
        'Sec-WebSocket-Protocol: chat',
        'Set-Cookie: a=1',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Accept: nope',
        'no colon',
        'Bad Name: x',
        'X-Ctl: a\x01b',
        'X-Wide: 日本',
      ]),
    ).toEqual({ ':status': 200, 'sec-websocket-protocol': 'chat', 'set-cookie': 'a=1' });
  });

  it('refuses with the status, a text body type and only safe extra headers', () => {
    expect(
      refusalBlock({
        status: 426,
        message: 'v',
        headers: { 'Sec-WebSocket-Version': '13', 'Transfer-Encoding': 'chunked' },
      }),
    ).toEqual({
      ':status': 426,
      'sec-websocket-version': '13',
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
    });
  });
});
