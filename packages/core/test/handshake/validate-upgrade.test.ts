/**
 * RFC 6455 §4.2.1: what makes an opening handshake valid, as tables of request heads → the
 * valid upgrade or the HTTP status of the rejection (statuses are chosen in one place).
 */
import { isRejection, validateUpgrade, type UpgradeRequestHead } from '../../src/handshake/handshake';

/** The RFC 6455 §1.3 example key. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

type Headers = Record<string, string | string[] | undefined>;

/** A valid request (as Node hands it over: lower-case header names), with changes. */
function head(
  changes: { method?: string; version?: [number, number]; headers?: Headers; remove?: string[] } = {},
): UpgradeRequestHead {
  const headers: Headers = {
    host: 'example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': KEY,
    'sec-websocket-version': '13',
    ...changes.headers,
  };
  for (const name of changes.remove ?? []) delete headers[name];
  const [major, minor] = changes.version ?? [1, 1];
  return {
    method: 'method' in changes ? changes.method : 'GET',
    httpVersionMajor: major,
    httpVersionMinor: minor,
    headers,
  };
}

function status(request: UpgradeRequestHead): number {
  const result = validateUpgrade(request);
  return isRejection(result) ? result.status : 101;
}

describe('RFC 6455 §4.2.1: a valid request', () => {
  it('gives the key, no subprotocols and no extension offers', () => {
    expect(validateUpgrade(head())).toEqual({ key: KEY, protocols: [], extensionOffers: [] });
  });

  it('trims whitespace around the key', () => {
    expect(validateUpgrade(head({ headers: { 'sec-websocket-key': `  ${KEY} ` } }))).toMatchObject({ key: KEY });
  });

  it('gives the offered subprotocols in the client order', () => {
    expect(validateUpgrade(head({ headers: { 'sec-websocket-protocol': 'chat, superchat' } }))).toMatchObject({
      protocols: ['chat', 'superchat'],
    });
  });

  it('joins repeated Sec-WebSocket-Protocol headers', () => {
    expect(validateUpgrade(head({ headers: { 'sec-websocket-protocol': ['chat', 'superchat'] } }))).toMatchObject({
      protocols: ['chat', 'superchat'],
    });
  });

  it('gives the parsed extension offers', () => {
    const result = validateUpgrade(
      head({ headers: { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits, x-foo' } }),
    );
    expect(result).toMatchObject({
      extensionOffers: [
        { name: 'permessage-deflate', params: [{ name: 'client_max_window_bits', value: true }] },
        { name: 'x-foo', params: [] },
      ],
    });
  });
});

describe('RFC 6455 §4.2.1 item 1: the method must be GET', () => {
  it.each(['POST', 'PUT', 'HEAD', 'OPTIONS', 'get', 'CONNECT'])('refuses %s with 405 and Allow: GET', (method) => {
    const result = validateUpgrade(head({ method }));
    expect(result).toMatchObject({ status: 405, headers: { Allow: 'GET' } });
  });

  it('refuses a request with no method with 405', () => {
    expect(status(head({ method: undefined }))).toBe(405);
  });
});

describe('RFC 6455 §4.1: HTTP/1.1 or later', () => {
  it.each([
    [[1, 1], 101],
    [[2, 0], 101],
    [[1, 0], 400],
    [[0, 9], 400],
  ] as [[number, number], number][])('HTTP/%p → %i', (version, expected) => {
    expect(status(head({ version }))).toBe(expected);
  });
});

describe('RFC 6455 §4.2.1 item 2: Host', () => {
  it('refuses a request without Host with 400', () => {
    expect(status(head({ remove: ['host'] }))).toBe(400);
  });
});

describe('RFC 6455 §4.2.1 item 3: Upgrade contains "websocket", in any case', () => {
  it.each([
    ['websocket', 101],
    ['WebSocket', 101],
    ['WEBSOCKET', 101],
    ['  websocket  ', 101],
    ['h2c, websocket', 101],
    ['websockets', 400],
    ['h2c', 400],
    ['', 400],
    ['web socket', 400],
    ['websockeX', 400], // the token's length, not the token
    ['webs,cket', 400], // a list of the token's length cannot hold it
  ])('Upgrade: %p → %i', (value, expected) => {
    expect(status(head({ headers: { upgrade: value } }))).toBe(expected);
  });

  it('refuses a request without Upgrade with 400', () => {
    expect(status(head({ remove: ['upgrade'] }))).toBe(400);
  });
});

describe('RFC 6455 §4.2.1 item 4: Connection lists "Upgrade", in any case', () => {
  it.each([
    ['Upgrade', 101],
    ['upgrade', 101],
    ['UPGRADE', 101],
    ['keep-alive, Upgrade', 101],
    ['Upgrade, keep-alive', 101],
    ['keep-alive,upgrade', 101],
    ['  keep-alive ,  Upgrade  ', 101],
    ['keep-alive', 400],
    ['close', 400],
    ['upgraded', 400],
    ['keep-alive Upgrade', 400],
    ['upgradX', 400],
    ['upg,ade', 400],
    ['', 400],
  ])('Connection: %p → %i', (value, expected) => {
    expect(status(head({ headers: { connection: value } }))).toBe(expected);
  });

  it('accepts Upgrade in one of repeated Connection headers', () => {
    expect(status(head({ headers: { connection: ['keep-alive', 'Upgrade'] } }))).toBe(101);
  });

  it('refuses a request without Connection with 400', () => {
    expect(status(head({ remove: ['connection'] }))).toBe(400);
  });
});

describe('RFC 6455 §4.2.1 item 5: Sec-WebSocket-Key is base64 of 16 bytes', () => {
  it.each([
    ['the RFC example', KEY, 101],
    ['16 zero bytes', Buffer.alloc(16).toString('base64'), 101],
    ['16 bytes with + and /', Buffer.alloc(16, 0xfb).toString('base64'), 101],
    ['15 bytes', Buffer.alloc(15, 1).toString('base64'), 400],
    ['17 bytes', Buffer.alloc(17, 1).toString('base64'), 400],
    ['no padding', KEY.slice(0, 22), 400],
    ['one = only', KEY.slice(0, 23), 400],
    ['URL-safe -', 'dGhlIHNhbXBsZSBub25jZ-==', 400],
    ['URL-safe _', 'dGhlIHNhbXBsZSBub25jZ_==', 400],
    ['a space inside', 'dGhlIHNhbXBs ZSBub25jZQ==', 400],
    ['empty', '', 400],
    ['plain text', 'not a websocket key at all', 400],
  ])('%s (%p) → %i', (_name, key, expected) => {
    expect(status(head({ headers: { 'sec-websocket-key': key } }))).toBe(expected);
  });

  it('refuses a missing key with 400', () => {
    expect(status(head({ remove: ['sec-websocket-key'] }))).toBe(400);
  });

  it('refuses a repeated key header with 400', () => {
    expect(status(head({ headers: { 'sec-websocket-key': [KEY, KEY] } }))).toBe(400);
  });
});

describe('RFC 6455 §4.2.1 item 6 and §4.2.2: Sec-WebSocket-Version 13', () => {
  it.each([
    ['13', 101],
    [' 13 ', 101],
    ['8', 426],
    ['7', 426],
    ['12', 426],
    ['14', 426],
    ['0', 426],
    ['thirteen', 426],
  ])('version %p → %i', (version, expected) => {
    expect(status(head({ headers: { 'sec-websocket-version': version } }))).toBe(expected);
  });

  it('answers version 8 with 426 and Sec-WebSocket-Version: 13', () => {
    expect(validateUpgrade(head({ headers: { 'sec-websocket-version': '8' } }))).toMatchObject({
      status: 426,
      headers: { 'Sec-WebSocket-Version': '13' },
    });
  });

  it('refuses a missing version with 400', () => {
    expect(status(head({ remove: ['sec-websocket-version'] }))).toBe(400);
  });
});

describe('RFC 6455 §4.2.1 items 8-9: subprotocol and extension headers must parse', () => {
  it.each([
    ['sec-websocket-protocol', 'chat, chat'],
    ['sec-websocket-protocol', 'a b'],
    ['sec-websocket-protocol', 'chat, "quoted"'],
    ['sec-websocket-extensions', 'permessage-deflate;'],
    ['sec-websocket-extensions', 'a; b="not a token"'],
    ['sec-websocket-extensions', ''],
  ])('refuses %s: %p with 400', (name, value) => {
    expect(status(head({ headers: { [name]: value } }))).toBe(400);
  });
});

describe('isRejection', () => {
  it('tells a rejection from a valid upgrade', () => {
    expect(isRejection(validateUpgrade(head()))).toBe(false);
    expect(isRejection(validateUpgrade(head({ method: 'POST' })))).toBe(true);
  });
});
