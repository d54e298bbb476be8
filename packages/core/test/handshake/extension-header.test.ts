/**
 * RFC 6455 §9.1: Sec-WebSocket-Extensions. Offers, parameters, quoted values (which must be
 * tokens once unescaped), malformed headers (null), formatting of the answer, and a guard that
 * parsing stays linear whatever a client sends.
 */
import fc from 'fast-check';
import { formatExtension, parseExtensionHeader, type ExtensionOffer, type ExtensionParam } from '@ws/core';
import { isToken, isTokenChar } from '../../src/handshake/tokens';

const offer = (name: string, ...params: [string, string | true][]): ExtensionOffer => ({
  name,
  params: params.map(([n, value]) => ({ name: n, value })),
});

describe('RFC 6455 §9.1: parsing offers', () => {
  it.each([
    ['one name', 'permessage-deflate', [offer('permessage-deflate')]],
    [
      'a flag',
      'permessage-deflate; client_max_window_bits',
      [offer('permessage-deflate', ['client_max_window_bits', true])],
    ],
    [
      'params with and without values',
      'permessage-deflate; client_max_window_bits=10; server_no_context_takeover',
      [offer('permessage-deflate', ['client_max_window_bits', '10'], ['server_no_context_takeover', true])],
    ],
    ['two offers', 'a, b', [offer('a'), offer('b')]],
    [
      'several offers of one extension, in order',
      'a; x=1, a; x=2, b',
      [offer('a', ['x', '1']), offer('a', ['x', '2']), offer('b')],
    ],
    ['repeated params, kept', 'a; x; x=1', [offer('a', ['x', true], ['x', '1'])]],
    ['a quoted value', 'a; x="10"', [offer('a', ['x', '10'])]],
    ['an escaped character in quotes', 'a; x="1\\0"', [offer('a', ['x', '10'])]],
    ['every character escaped', 'a; x="\\a\\b\\c"', [offer('a', ['x', 'abc'])]],
    ['spaces everywhere', '  a ;  x = 1  ,  b  ', [offer('a', ['x', '1']), offer('b')]],
    ['tabs everywhere', '\ta\t;\tx\t=\t"1"\t', [offer('a', ['x', '1'])]],
    ['no spaces at all', 'a;x=1;y,b;z', [offer('a', ['x', '1'], ['y', true]), offer('b', ['z', true])]],
    ['empty list elements', ', a, , b ,', [offer('a'), offer('b')]],
    ['all token characters', "a; x=!#$%&'*+-.^_`|~09AZaz", [offer('a', ['x', "!#$%&'*+-.^_`|~09AZaz"])]],
  ])('parses %s', (_name, header, expected) => {
    expect(parseExtensionHeader(header)).toEqual(expected);
  });
});

describe('RFC 6455 §9.1: malformed headers give null', () => {
  it.each([
    ['empty', ''],
    ['only commas and spaces', ' , ,'],
    ['a trailing semicolon', 'a;'],
    ['a trailing semicolon and space', 'a; '],
    ['an empty param', 'a;;b'],
    ['a param with no name', 'a; =1'],
    ['= with no value', 'a; x='],
    ['= with only spaces after', 'a; x=  '],
    ['two names without a comma', 'a b'],
    ['a value with a space', 'a; x=1 2'],
    ['a quoted value that is not a token', 'a; x="1 2"'],
    ['a quoted comma', 'a; x="b,c"'],
    ['an empty quoted value', 'a; x=""'],
    ['an unclosed quote', 'a; x="10'],
    ['a backslash at the very end', 'a; x="1\\'],
    ['text after a closing quote', 'a; x="1"2'],
    ['a quoted name', '"a"'],
    ['a quoted param name', 'a; "x"=1'],
    ['a non-ASCII name', 'é'],
    ['a non-ASCII quoted value', 'a; x="é"'],
    ['= in the name', 'a=1'],
    ['a slash in a name', 'a/b'],
    ['CR LF', 'a\r\n'],
    ['a semicolon before the name', '; a'],
  ])('%s: %p', (_name, header) => {
    expect(parseExtensionHeader(header)).toBeNull();
  });
});

describe('RFC 6455 §9.1: parsing is linear (a complexity guard, not a benchmark)', () => {
  // 128 KiB, eight times Node's default limit on a request head: a linear pass takes a few
  // milliseconds even on a loaded machine, a quadratic one (8e9 steps) takes seconds.
  const SIZE = 1 << 17;
  it.each<[string, string]>([
    ['one offer with many params', 'a' + '; b'.repeat(SIZE / 3)],
    ['many offers', 'a, '.repeat(SIZE / 3)],
    ['an unclosed quote', 'a; b="' + 'x'.repeat(SIZE)],
    ['a long escaped value', 'a; b="' + '\\x'.repeat(SIZE / 2) + '"'],
    ['a long run of spaces', ' '.repeat(SIZE) + 'a'],
    ['a long run of commas', ','.repeat(SIZE)],
    ['spaces after a semicolon', 'a;' + ' '.repeat(SIZE)],
    ['spaces between names', 'a' + ' '.repeat(SIZE) + 'b'],
    ['nested-looking quotes', 'a; b="\\"' + '\\"'.repeat(SIZE / 2)],
  ])('parses 128 KiB of %s in well under a second', (_name, header) => {
    const started = performance.now();
    parseExtensionHeader(header);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('unescapes a quoted value that must be a token', () => {
    expect(parseExtensionHeader('a; b="\\1\\0"')).toEqual([{ name: 'a', params: [{ name: 'b', value: '10' }] }]);
    expect(parseExtensionHeader('a; b="1 0"')).toBeNull();
    expect(parseExtensionHeader('a; b="\\ "')).toBeNull();
    expect(parseExtensionHeader('a; b=""')).toBeNull();
    expect(parseExtensionHeader('a; b="\\')).toBeNull();
  });
});

describe('RFC 6455 §9.1: formatting an answer', () => {
  it.each([
    ['a name alone', 'a', [], 'a'],
    ['a flag', 'a', [{ name: 'x', value: true }], 'a; x'],
    ['a token value', 'a', [{ name: 'x', value: '10' }], 'a; x=10'],
    [
      'several params',
      'a',
      [
        { name: 'x', value: true },
        { name: 'y', value: '2' },
      ],
      'a; x; y=2',
    ],
    ['a value with a space, quoted', 'a', [{ name: 'x', value: '1 0' }], 'a; x="1 0"'],
    ['quotes and backslashes, escaped', 'a', [{ name: 'x', value: 'say "hi" \\o/' }], 'a; x="say \\"hi\\" \\\\o/"'],
    ['an empty value, quoted', 'a', [{ name: 'x', value: '' }], 'a; x=""'],
  ] as [string, string, ExtensionParam[], string][])('formats %s', (_name, name, params, expected) => {
    expect(formatExtension(name, params)).toBe(expected);
  });

  it('parses back what it formats, for token names and values (fast-check)', () => {
    const tchar = fc.constantFrom(
      ...Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)).filter((c) => isTokenChar(c.charCodeAt(0))),
    );
    const token = fc.array(tchar, { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
    const param = fc.record({ name: token, value: fc.oneof(fc.constant(true as const), token) });
    fc.assert(
      fc.property(token, fc.array(param, { maxLength: 4 }), (name, params) => {
        expect(parseExtensionHeader(formatExtension(name, params))).toEqual([{ name, params }]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('RFC 7230 §3.2.6: tokens', () => {
  it.each([
    ['permessage-deflate', true],
    ["!#$%&'*+-.^_`|~", true],
    ['', false],
    ['a b', false],
    ['a,b', false],
    ['a;b', false],
    ['a=b', false],
    ['"a"', false],
    ['a/b', false],
    ['(a)', false],
    ['é', false],
    ['a\tb', false],
  ])('isToken(%p) is %p', (value, expected) => {
    expect(isToken(value)).toBe(expected);
  });
});
