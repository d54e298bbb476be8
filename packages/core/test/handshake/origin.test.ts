/** The `Origin` header in its serialized form (RFC 6454 §6.1), as `allowedOrigins` compares it. */
import { normalizeOrigin, originListCheck } from '../../src/handshake/origin';

describe('normalizeOrigin', () => {
  it.each([
    ['https://example.com', 'https://example.com'],
    ['HTTPS://Example.COM', 'https://example.com'],
    ['https://example.com:443', 'https://example.com'], // a default port is no port
    ['http://example.com:80', 'http://example.com'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['https://example.com/', 'https://example.com'],
    ['chrome-extension://ABCDEF', 'chrome-extension://abcdef'],
    ['null', 'null'],
  ])('%s is %s', (value, expected) => {
    expect(normalizeOrigin(value)).toBe(expected);
  });

  it.each([
    'example.com', // no scheme
    'https://example.com/path',
    'https://example.com?query',
    'https://example.com#hash',
    'https://user@example.com',
    'https://example.com, https://other.com', // two Origin headers joined
    'https://',
    '',
    'NULL',
  ])('%p is not an origin', (value) => {
    expect(normalizeOrigin(value)).toBeNull();
  });
});

describe('originListCheck', () => {
  const check = originListCheck(['https://Example.com', 'http://localhost:3000']);

  it.each([
    ['https://example.com', true],
    ['HTTPS://EXAMPLE.COM:443', true],
    ['http://localhost:3000', true],
    [undefined, true], // not a browser: see the README
    ['http://example.com', false], // another scheme is another origin
    ['https://example.com:8443', false],
    ['https://example.com.evil.test', false],
    ['https://evil.test/https://example.com', false],
    ['http://localhost:3001', false],
    ['null', false],
  ])('%p: %p', (origin, allowed) => {
    expect(check(origin)).toBe(allowed);
  });

  it.each(['example.com', 'https://example.com/app', '', 42])('refuses the entry %p at construction', (entry) => {
    expect(() => originListCheck([entry as string])).toThrow(TypeError);
  });
});
