import fc from 'fast-check';
import { formatExtension, parseExtensionHeader, type ExtensionOffer, type ExtensionParam } from '@ws/core';
import { deflate, type DeflateOptions } from '@ws/deflate';
import { negotiateDeflate, parseWindowBits } from '../src/negotiate';
import { resolveOptions } from '../src/options';

/** The response a server with `options` gives to `header`, or null when it declines. */
function respond(options: DeflateOptions, header: string): string | null {
  const offers = parseExtensionHeader(header);
  if (offers === null) throw new Error(`unparsable test header: ${header}`);
  const acceptance = deflate(options).negotiate(offers);
  return acceptance === null ? null : formatExtension('permessage-deflate', acceptance.params);
}

const PMD = 'permessage-deflate';
/** Windows of 15 on both sides: what a peer assumes unless told, so responses state only the offer's terms. */
const RFC_WINDOWS: DeflateOptions = { serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

describe('the defaults (windows of 12, as Python websockets)', () => {
  it.each<[string, string, string | null]>([
    ['Firefox: its window stays 15', 'permessage-deflate', `${PMD}; server_max_window_bits=12`],
    [
      'Chrome, Safari, ws: asked for 12',
      'permessage-deflate; client_max_window_bits',
      `${PMD}; server_max_window_bits=12; client_max_window_bits=12`,
    ],
    [
      'a smaller offer wins',
      'permessage-deflate; server_max_window_bits=10; client_max_window_bits=9',
      `${PMD}; server_max_window_bits=10; client_max_window_bits=9`,
    ],
    [
      'a larger offer is capped',
      'permessage-deflate; server_max_window_bits=15; client_max_window_bits=14',
      `${PMD}; server_max_window_bits=12; client_max_window_bits=12`,
    ],
  ])('%s: %s', (_label, header, expected) => {
    expect(respond({}, header)).toBe(expected);
  });

  it('requireClientMaxWindowBits declines Firefox', () => {
    expect(respond({ requireClientMaxWindowBits: true }, 'permessage-deflate')).toBeNull();
  });
});

describe('RFC 7692 §7.1: negotiation with windows of 15', () => {
  it.each<[string, string, string | null]>([
    ['Firefox', 'permessage-deflate', PMD],
    ['Chrome, Safari, ws', 'permessage-deflate; client_max_window_bits', PMD],
    [
      'ws with both flags',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits',
      `${PMD}; server_no_context_takeover; client_no_context_takeover`,
    ],
    ['first of two offers wins', 'permessage-deflate; client_max_window_bits=15, permessage-deflate', PMD],
    [
      'offer with client window 10 is answered 10',
      'permessage-deflate; client_max_window_bits=10',
      `${PMD}; client_max_window_bits=10`,
    ],
    [
      'offer with client window 8 is answered 8',
      'permessage-deflate; client_max_window_bits=8',
      `${PMD}; client_max_window_bits=8`,
    ],
    ['offer with client window 15 needs no answer', 'permessage-deflate; client_max_window_bits=15', PMD],
    [
      'server window is always answered',
      'permessage-deflate; server_max_window_bits=15',
      `${PMD}; server_max_window_bits=15`,
    ],
    ['server window 10', 'permessage-deflate; server_max_window_bits=10', `${PMD}; server_max_window_bits=10`],
    ['server window 8', 'permessage-deflate; server_max_window_bits=8', `${PMD}; server_max_window_bits=8`],
    [
      'server_no_context_takeover is answered',
      'permessage-deflate; server_no_context_takeover',
      `${PMD}; server_no_context_takeover`,
    ],
    [
      'client_no_context_takeover hint is echoed',
      'permessage-deflate; client_no_context_takeover',
      `${PMD}; client_no_context_takeover`,
    ],
    [
      'quoted values count as tokens',
      'permessage-deflate; server_max_window_bits="12"',
      `${PMD}; server_max_window_bits=12`,
    ],
    [
      'all four parameters',
      'permessage-deflate; client_max_window_bits=9; server_max_window_bits=11; client_no_context_takeover; server_no_context_takeover',
      `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=9`,
    ],
    [
      'a bad first offer falls back to the second',
      'permessage-deflate; server_max_window_bits=16, permessage-deflate; server_max_window_bits=12',
      `${PMD}; server_max_window_bits=12`,
    ],
    [
      'the first good offer of three',
      'permessage-deflate; foo, permessage-deflate; client_max_window_bits=12, permessage-deflate',
      `${PMD}; client_max_window_bits=12`,
    ],
  ])('%s: %s', (_label, header, expected) => {
    expect(respond(RFC_WINDOWS, header)).toBe(expected);
  });
});

describe('RFC 7692 §7: malformed offers are declined', () => {
  it.each<[string, string]>([
    ['server window 16', 'permessage-deflate; server_max_window_bits=16'],
    ['server window 7', 'permessage-deflate; server_max_window_bits=7'],
    ['server window with a leading zero', 'permessage-deflate; server_max_window_bits=07'],
    ['server window 010', 'permessage-deflate; server_max_window_bits=010'],
    ['server window 0', 'permessage-deflate; server_max_window_bits=0'],
    ['server window with a sign', 'permessage-deflate; server_max_window_bits=+9'],
    ['server window as a decimal', 'permessage-deflate; server_max_window_bits=9.0'],
    ['server window in hex', 'permessage-deflate; server_max_window_bits=0x9'],
    ['server window as a word', 'permessage-deflate; server_max_window_bits=fifteen'],
    ['server window without a value', 'permessage-deflate; server_max_window_bits'],
    ['quoted server window 16', 'permessage-deflate; server_max_window_bits="16"'],
    ['client window 16', 'permessage-deflate; client_max_window_bits=16'],
    ['client window 7', 'permessage-deflate; client_max_window_bits=7'],
    ['client window 08', 'permessage-deflate; client_max_window_bits=08'],
    ['client window -1', 'permessage-deflate; client_max_window_bits=-1'],
    ['client_no_context_takeover with a value', 'permessage-deflate; client_no_context_takeover=1'],
    ['server_no_context_takeover with a value', 'permessage-deflate; server_no_context_takeover=true'],
    ['quoted value on a flag', 'permessage-deflate; server_no_context_takeover="x"'],
    ['duplicate client window', 'permessage-deflate; client_max_window_bits; client_max_window_bits'],
    ['duplicate client window, values', 'permessage-deflate; client_max_window_bits=10; client_max_window_bits=10'],
    ['duplicate server window', 'permessage-deflate; server_max_window_bits=10; server_max_window_bits=11'],
    ['duplicate server flag', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
    ['duplicate client flag', 'permessage-deflate; client_no_context_takeover; client_no_context_takeover'],
    ['unknown parameter', 'permessage-deflate; x-webkit-deflate-frame'],
    ['unknown parameter among known ones', 'permessage-deflate; client_max_window_bits; max_window_bits=10'],
    ['parameter names are case-sensitive', 'permessage-deflate; Server_No_Context_Takeover'],
    [
      'every offer malformed',
      'permessage-deflate; server_max_window_bits=16, permessage-deflate; client_no_context_takeover=1',
    ],
  ])('%s: %s', (_label, header) => {
    expect(respond({}, header)).toBeNull();
  });
});

describe('server options decide what is asked for and accepted', () => {
  it.each<[string, DeflateOptions, string, string | null]>([
    [
      'serverNoContextTakeover asks unasked',
      { serverNoContextTakeover: true },
      'permessage-deflate',
      `${PMD}; server_no_context_takeover`,
    ],
    [
      'serverNoContextTakeover with Chrome',
      { serverNoContextTakeover: true },
      'permessage-deflate; client_max_window_bits',
      `${PMD}; server_no_context_takeover`,
    ],
    [
      'clientNoContextTakeover asks unasked',
      { clientNoContextTakeover: true },
      'permessage-deflate',
      `${PMD}; client_no_context_takeover`,
    ],
    [
      'both flags',
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
      'permessage-deflate; client_max_window_bits',
      `${PMD}; server_no_context_takeover; client_no_context_takeover`,
    ],
    [
      'serverMaxWindowBits answers unasked',
      { serverMaxWindowBits: 10 },
      'permessage-deflate',
      `${PMD}; server_max_window_bits=10`,
    ],
    ['serverMaxWindowBits 8', { serverMaxWindowBits: 8 }, 'permessage-deflate', `${PMD}; server_max_window_bits=8`],
    [
      'serverMaxWindowBits caps a larger offer',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=12',
      `${PMD}; server_max_window_bits=10`,
    ],
    [
      'a smaller offer beats serverMaxWindowBits',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=9',
      `${PMD}; server_max_window_bits=9`,
    ],
    ['serverMaxWindowBits 15 adds nothing', { serverMaxWindowBits: 15 }, 'permessage-deflate', PMD],
    [
      'clientMaxWindowBits asks Chrome',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits',
      `${PMD}; client_max_window_bits=10`,
    ],
    [
      'clientMaxWindowBits caps a larger offer',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=12',
      `${PMD}; client_max_window_bits=10`,
    ],
    [
      'a smaller offer beats clientMaxWindowBits',
      { clientMaxWindowBits: 10 },
      'permessage-deflate; client_max_window_bits=9',
      `${PMD}; client_max_window_bits=9`,
    ],
    ['clientMaxWindowBits leaves Firefox at 15', { clientMaxWindowBits: 10 }, 'permessage-deflate', PMD],
    [
      'requireClientMaxWindowBits declines Firefox',
      { clientMaxWindowBits: 10, requireClientMaxWindowBits: true },
      'permessage-deflate',
      null,
    ],
    [
      'requireClientMaxWindowBits skips to an offer that can carry it',
      { clientMaxWindowBits: 10, requireClientMaxWindowBits: true },
      'permessage-deflate, permessage-deflate; client_max_window_bits',
      `${PMD}; client_max_window_bits=10`,
    ],
    ['clientMaxWindowBits 15 accepts Firefox', { clientMaxWindowBits: 15 }, 'permessage-deflate', PMD],
    [
      'clientMaxWindowBits 8',
      { clientMaxWindowBits: 8 },
      'permessage-deflate; client_max_window_bits',
      `${PMD}; client_max_window_bits=8`,
    ],
    [
      'everything at 8',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
      'permessage-deflate; client_max_window_bits',
      `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8`,
    ],
    [
      'everything, client offers more',
      { serverMaxWindowBits: 12, clientMaxWindowBits: 12 },
      'permessage-deflate; server_max_window_bits=14; client_max_window_bits=13; server_no_context_takeover',
      `${PMD}; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12`,
    ],
    [
      'malformed offers stay declined',
      { serverNoContextTakeover: true },
      'permessage-deflate; client_no_context_takeover=1',
      null,
    ],
  ])('%s', (_label, options, header, expected) => {
    expect(respond({ ...RFC_WINDOWS, ...options }, header)).toBe(expected);
  });
});

describe('parseWindowBits', () => {
  it.each([
    ['8', 8],
    ['9', 9],
    ['15', 15],
    ['16', 0],
    ['7', 0],
    ['08', 0],
    ['', 0],
    [' 9', 0],
    ['1e1', 0],
  ])('%j → %d', (value, expected) => {
    expect(parseWindowBits(value)).toBe(expected);
  });
});

describe('properties over any offer', () => {
  const names = [
    'server_no_context_takeover',
    'client_no_context_takeover',
    'server_max_window_bits',
    'client_max_window_bits',
    'foo',
  ];
  const values = ['8', '9', '10', '12', '15', '16', '7', '07', 'x', ''];
  const param = fc.record({
    name: fc.constantFrom(...names),
    value: fc.oneof(fc.constant<true>(true), fc.constantFrom(...values)),
  });
  const offer = fc.array(param, { maxLength: 5 }).map((params): ExtensionOffer => ({ name: PMD, params }));
  const bits = fc.integer({ min: 8, max: 15 });
  const options = fc.record({
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: bits,
    clientMaxWindowBits: bits,
    requireClientMaxWindowBits: fc.boolean(),
  });

  const find = (params: readonly ExtensionParam[], name: string): ExtensionParam | undefined =>
    params.find((p) => p.name === name);

  it('never throws, and a response never says more than RFC 7692 §7.1 allows', () => {
    fc.assert(
      fc.property(offer, options, (single, opts) => {
        const agreement = negotiateDeflate([single], resolveOptions(opts));
        if (agreement === null) return;
        const response = agreement.params;
        const offered = single.params;
        // No parameter twice, each one known.
        expect(new Set(response.map((p) => p.name)).size).toBe(response.length);
        for (const p of response) expect(names.slice(0, 4)).toContain(p.name);
        // client_max_window_bits only when offered, never above the offered value.
        const clientBits = find(response, 'client_max_window_bits');
        if (clientBits !== undefined) {
          const asked = find(offered, 'client_max_window_bits');
          expect(asked).toBeDefined();
          if (asked!.value !== true) expect(Number(clientBits.value)).toBeLessThanOrEqual(Number(asked!.value));
          expect(Number(clientBits.value)).toBeLessThanOrEqual(opts.clientMaxWindowBits);
        }
        // server_max_window_bits answered whenever offered, never above it.
        const askedServer = find(offered, 'server_max_window_bits');
        const serverBits = find(response, 'server_max_window_bits');
        if (askedServer !== undefined) {
          expect(serverBits).toBeDefined();
          expect(Number(serverBits!.value)).toBeLessThanOrEqual(Number(askedServer.value));
        }
        if (serverBits !== undefined) expect(Number(serverBits.value)).toBeLessThanOrEqual(opts.serverMaxWindowBits);
        // An offered server_no_context_takeover is always answered.
        if (find(offered, 'server_no_context_takeover') !== undefined) {
          expect(find(response, 'server_no_context_takeover')).toBeDefined();
        }
        // Values are present exactly where the RFC wants them.
        for (const p of response) {
          const valued = p.name.endsWith('window_bits');
          expect(p.value === true).toBe(!valued);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts exactly the well-formed offers the options can serve', () => {
    fc.assert(
      fc.property(offer, options, (single, opts) => {
        const seen = new Set<string>();
        let wellFormed = true;
        for (const { name, value } of single.params) {
          if (seen.has(name)) wellFormed = false;
          seen.add(name);
          if (name === 'foo') wellFormed = false;
          else if (name.endsWith('no_context_takeover')) wellFormed &&= value === true;
          else if (value === true) wellFormed &&= name === 'client_max_window_bits';
          else wellFormed &&= /^(8|9|1[0-5])$/.test(value);
        }
        const servable =
          !opts.requireClientMaxWindowBits || opts.clientMaxWindowBits === 15 || seen.has('client_max_window_bits');
        const agreement = negotiateDeflate([single], resolveOptions(opts));
        expect(agreement !== null).toBe(wellFormed && servable);
      }),
      { numRuns: 2000 },
    );
  });
});
