import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { CloseCode, Rsv1, formatExtension, parseExtensionHeader, type ExtensionParam } from '@ws/core';
import { deflate, type DeflateCodec, type DeflateOptions } from '@ws/deflate';
import { acceptResponse, offerOf } from '../src/client-negotiate';
import { parseOffer, type DeflateOffer } from '../src/negotiate';
import { resolveOptions } from '../src/options';
import { decodeMessage, encode, rejection } from './helpers/codec';
import { PeerDeflater, PeerInflater, sample } from './helpers/peer-zlib';

/**
 * permessage-deflate, client side, without sockets: the offer built from the options, the
 * response checked as RFC 7692 §5 and §7.1 require, and the client codec using the client_*
 * parameters to compress and the server_* ones to inflate.
 */

const PMD = 'permessage-deflate';

/** The offer header a client with `options` sends. */
function offerHeader(options: DeflateOptions = {}): string {
  return deflate(options)
    .offer()
    .map((params) => formatExtension(PMD, params))
    .join(', ');
}

/** The params of a response written as a header element (`permessage-deflate; …`). */
function response(header: string): readonly ExtensionParam[] {
  const parsed = parseExtensionHeader(header);
  if (parsed === null || parsed.length !== 1) throw new Error(`unparsable test header: ${header}`);
  return parsed[0].params;
}

/** What `accept` throws for `header`, or null if it accepts. */
function refusal(options: DeflateOptions, header: string): string | null {
  try {
    deflate(options).accept(response(header));
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('RFC 7692 §7.1: the offer', () => {
  it.each<[string, DeflateOptions, string]>([
    ['defaults: client_max_window_bits without a value', {}, `${PMD}; client_max_window_bits`],
    [
      'serverNoContextTakeover asks for server_no_context_takeover',
      { serverNoContextTakeover: true },
      `${PMD}; server_no_context_takeover; client_max_window_bits`,
    ],
    [
      'clientNoContextTakeover states client_no_context_takeover',
      { clientNoContextTakeover: true },
      `${PMD}; client_no_context_takeover; client_max_window_bits`,
    ],
    [
      'serverMaxWindowBits below 15 asks for server_max_window_bits',
      { serverMaxWindowBits: 10 },
      `${PMD}; server_max_window_bits=10; client_max_window_bits`,
    ],
    [
      'serverMaxWindowBits 15 is the default, not stated',
      { serverMaxWindowBits: 15 },
      `${PMD}; client_max_window_bits`,
    ],
    [
      'clientMaxWindowBits below 15 gives client_max_window_bits a value',
      { clientMaxWindowBits: 9 },
      `${PMD}; client_max_window_bits=9`,
    ],
    [
      'all four',
      { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
      `${PMD}; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8`,
    ],
  ])('%s', (_label, options, expected) => {
    expect(offerHeader(options)).toBe(expected);
  });

  it('is one offer, and every offer is one a server reads back as made', () => {
    fc.assert(
      fc.property(optionsArbitrary, (options) => {
        const offers = deflate(options).offer();
        expect(offers).toHaveLength(1);
        expect(parseOffer(offers[0])).toEqual(offerOf(resolveOptions(options)));
      }),
    );
  });
});

describe('RFC 7692 §5, §7.1: accepting a valid response', () => {
  it.each<[string, DeflateOptions, string, Partial<Record<string, boolean | number>>]>([
    ['bare response', {}, PMD, { sNct: false, cNct: false, sBits: 15, cBits: 15 }],
    [
      'server_no_context_takeover unasked (§7.1.1.1: allowed)',
      {},
      `${PMD}; server_no_context_takeover`,
      { sNct: true },
    ],
    [
      'client_no_context_takeover unasked (§7.1.1.2: allowed)',
      {},
      `${PMD}; client_no_context_takeover`,
      { cNct: true },
    ],
    ['server_max_window_bits unasked (§7.1.2.1: allowed)', {}, `${PMD}; server_max_window_bits=9`, { sBits: 9 }],
    ['client_max_window_bits answering a valueless offer', {}, `${PMD}; client_max_window_bits=10`, { cBits: 10 }],
    [
      'client_max_window_bits lower than offered',
      { clientMaxWindowBits: 12 },
      `${PMD}; client_max_window_bits=9`,
      { cBits: 9 },
    ],
    [
      'client_max_window_bits equal to the offer',
      { clientMaxWindowBits: 12 },
      `${PMD}; client_max_window_bits=12`,
      { cBits: 12 },
    ],
    ['no client_max_window_bits: the client keeps to what it offered', { clientMaxWindowBits: 11 }, PMD, { cBits: 11 }],
    [
      'server_max_window_bits equal to the offer',
      { serverMaxWindowBits: 10 },
      `${PMD}; server_max_window_bits=10`,
      { sBits: 10 },
    ],
    [
      'server_max_window_bits lower than the offer',
      { serverMaxWindowBits: 10 },
      `${PMD}; server_max_window_bits=8`,
      { sBits: 8 },
    ],
    [
      'offered client_no_context_takeover holds even when not echoed (§7.1.1.2)',
      { clientNoContextTakeover: true },
      PMD,
      { cNct: true },
    ],
    [
      'server_no_context_takeover offered and echoed',
      { serverNoContextTakeover: true },
      `${PMD}; server_no_context_takeover`,
      { sNct: true },
    ],
    [
      'quoted values (unquoted by core)',
      {},
      `${PMD}; server_max_window_bits="12"; client_max_window_bits="13"`,
      { sBits: 12, cBits: 13 },
    ],
  ])('%s', (_label, options, header, expected) => {
    const acceptance = deflate(options).accept(response(header));
    expect(acceptance.params).toEqual(response(header));
    const agreement = acceptResponse(response(header), offerOf(resolveOptions(options)));
    const got = {
      sNct: agreement.serverNoContextTakeover,
      cNct: agreement.clientNoContextTakeover,
      sBits: agreement.serverMaxWindowBits,
      cBits: agreement.clientMaxWindowBits,
    };
    expect(got).toMatchObject({ sNct: false, cNct: false, sBits: 15, cBits: 15, ...expected });
  });
});

describe('RFC 7692 §5, §7.1: refusing a bad response', () => {
  it.each<[string, DeflateOptions, string, RegExp]>([
    ['an unknown parameter', {}, `${PMD}; x_window=3`, /unknown parameter x_window/],
    ['a parameter name in another case', {}, `${PMD}; Server_No_Context_Takeover`, /unknown parameter/],
    [
      'server_no_context_takeover twice',
      {},
      `${PMD}; server_no_context_takeover; server_no_context_takeover`,
      /duplicate parameter server_no_context_takeover/,
    ],
    [
      'client_max_window_bits twice',
      {},
      `${PMD}; client_max_window_bits=10; client_max_window_bits=10`,
      /duplicate parameter client_max_window_bits/,
    ],
    [
      'server_no_context_takeover with a value',
      {},
      `${PMD}; server_no_context_takeover=1`,
      /server_no_context_takeover must have no value/,
    ],
    [
      'client_no_context_takeover with a value',
      {},
      `${PMD}; client_no_context_takeover=true`,
      /client_no_context_takeover must have no value/,
    ],
    [
      'server_max_window_bits 16',
      {},
      `${PMD}; server_max_window_bits=16`,
      /server_max_window_bits must be an integer from 8 to 15 \(got server_max_window_bits=16\)/,
    ],
    [
      'server_max_window_bits 7',
      {},
      `${PMD}; server_max_window_bits=7`,
      /server_max_window_bits must be an integer from 8 to 15/,
    ],
    [
      'server_max_window_bits with a leading zero',
      {},
      `${PMD}; server_max_window_bits=09`,
      /server_max_window_bits must be/,
    ],
    [
      'server_max_window_bits without a value',
      {},
      `${PMD}; server_max_window_bits`,
      /server_max_window_bits must be an integer from 8 to 15 \(got no value\)/,
    ],
    [
      'client_max_window_bits without a value (a response needs one)',
      {},
      `${PMD}; client_max_window_bits`,
      /client_max_window_bits must be an integer from 8 to 15 \(got no value\)/,
    ],
    ['client_max_window_bits 0', {}, `${PMD}; client_max_window_bits=0`, /client_max_window_bits must be an integer/],
    [
      'server_max_window_bits larger than offered',
      { serverMaxWindowBits: 10 },
      `${PMD}; server_max_window_bits=11`,
      /server_max_window_bits=11 is larger than the 10 offered/,
    ],
    [
      'server_max_window_bits offered but not answered',
      { serverMaxWindowBits: 10 },
      PMD,
      /server_max_window_bits=10 was offered but the response lacks it/,
    ],
    [
      'client_max_window_bits larger than offered',
      { clientMaxWindowBits: 9 },
      `${PMD}; client_max_window_bits=10`,
      /client_max_window_bits=10 is larger than the 9 offered/,
    ],
    [
      'server_no_context_takeover offered but not answered',
      { serverNoContextTakeover: true },
      `${PMD}; client_max_window_bits=15`,
      /server_no_context_takeover was offered but the response lacks it/,
    ],
  ])('%s', (_label, options, header, rule) => {
    const message = refusal(options, header);
    expect(message).toMatch(/^invalid permessage-deflate response \(RFC 7692\): /);
    expect(message).toMatch(rule);
  });

  it('client_max_window_bits when the offer did not carry it (§7.1.2.2)', () => {
    const offer: DeflateOffer = { ...offerOf(resolveOptions({})), clientMaxWindowBits: undefined };
    expect(() => acceptResponse(response(`${PMD}; client_max_window_bits=10`), offer)).toThrow(
      /client_max_window_bits in the response, but the offer did not carry it/,
    );
    expect(acceptResponse(response(PMD), offer).clientMaxWindowBits).toBe(15);
  });
});

const bitsArbitrary = fc.option(fc.integer({ min: 8, max: 15 }), { nil: undefined });
const optionsArbitrary: fc.Arbitrary<DeflateOptions> = fc.record(
  {
    serverNoContextTakeover: fc.boolean(),
    clientNoContextTakeover: fc.boolean(),
    serverMaxWindowBits: bitsArbitrary,
    clientMaxWindowBits: bitsArbitrary,
  },
  { requiredKeys: [] },
);

/** Drops undefined fields: `rejectUnknownOptions` is fine with them, but keeps tables readable. */
function defined(options: DeflateOptions): DeflateOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

describe('our client against our server, without sockets', () => {
  it('whenever our server accepts our offer, our client accepts its response and both agree', () => {
    fc.assert(
      fc.property(optionsArbitrary, optionsArbitrary, (clientOptions, serverOptions) => {
        const client = deflate(defined(clientOptions));
        const server = deflate(defined(serverOptions));
        const offers = parseExtensionHeader(offerHeader(defined(clientOptions)))!;
        const accepted = server.negotiate(offers);
        // Our offer always carries client_max_window_bits, so only its window limits can be declined.
        if (accepted === null) return;
        const ours = acceptResponse(accepted.params, offerOf(client.config));
        const theirs = server.negotiate(offers)!;
        expect(theirs.params).toEqual(accepted.params);
        const serverAgreement = (accepted as unknown as { agreement: Record<string, unknown> }).agreement;
        expect(ours.serverMaxWindowBits).toBe(serverAgreement.serverMaxWindowBits);
        expect(ours.clientMaxWindowBits).toBeLessThanOrEqual(serverAgreement.clientMaxWindowBits as number);
        expect(ours.serverNoContextTakeover).toBe(serverAgreement.serverNoContextTakeover);
        // The server echoes an offered client_no_context_takeover, so both know it.
        expect(ours.clientNoContextTakeover).toBe(serverAgreement.clientNoContextTakeover);
      }),
    );
  });

  it('our server declines only offers whose window limits it cannot meet', () => {
    // A server that needs a smaller client window can always ask for it: our offer carries the parameter.
    expect(
      deflate({ clientMaxWindowBits: 9, serverMaxWindowBits: 15 }).negotiate(parseExtensionHeader(offerHeader())!)
        ?.params,
    ).toEqual([{ name: 'client_max_window_bits', value: '9' }]);
  });
});

/** A client codec for `options` and the server response `header`. */
function clientCodec(options: DeflateOptions, header: string, maxPayload = 0): DeflateCodec {
  return deflate({ threshold: 0, ...options })
    .accept(response(header))
    .createCodec({ maxPayload }) as DeflateCodec;
}

/**
 * Two messages, the second repeating the first 1500 bytes back: with context takeover a 15-bit
 * compressor refers back to it, which a 10-bit window cannot hold (the window is what an
 * inflater keeps between messages).
 */
function repeatedMessages(length = 1500): Buffer[] {
  const block = randomBytes(length);
  return [block, Buffer.from(block)];
}

/** Inflates messages in turn on one raw inflater of exactly `windowBits`. */
async function strictInflate(payloads: readonly Buffer[], windowBits: number): Promise<Buffer[]> {
  const peer = new PeerInflater({ windowBits });
  try {
    const out: Buffer[] = [];
    for (const payload of payloads) out.push(await peer.decompress(payload));
    return out;
  } finally {
    peer.close();
  }
}

async function encodeAll(codec: DeflateCodec, messages: readonly Buffer[]): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const message of messages) {
    const sent = await encode(codec, message);
    expect(sent.rsv).toBe(Rsv1);
    out.push(sent.payload);
  }
  return out;
}

describe('the client codec', () => {
  it('compresses with the client_max_window_bits of the response and sets RSV1', async () => {
    const messages = repeatedMessages();
    const narrow = clientCodec({}, `${PMD}; client_max_window_bits=10`);
    expect(await strictInflate(await encodeAll(narrow, messages), 10)).toEqual(messages);
    narrow.dispose();
    // Control: a 15-bit client window (server_* parameters play no part) reaches too far back.
    const wide = clientCodec({ serverMaxWindowBits: 10 }, `${PMD}; server_max_window_bits=10`);
    await expect(strictInflate(await encodeAll(wide, messages), 10)).rejects.toThrow(/too far back/);
    wide.dispose();
  });

  it('compresses with its own offered clientMaxWindowBits when the response says nothing', async () => {
    const messages = repeatedMessages(700);
    const codec = clientCodec({ clientMaxWindowBits: 9 }, PMD);
    expect(await strictInflate(await encodeAll(codec, messages), 9)).toEqual(messages);
    codec.dispose();
  });

  it('inflates with the server_max_window_bits of the response', async () => {
    const messages = repeatedMessages();
    const peer = new PeerDeflater({ windowBits: 15 });
    const compressed = [await peer.compress(messages[0]), await peer.compress(messages[1])];
    peer.close();
    // The server said it compresses within 1 KiB; a stream that reaches further back is corrupt.
    const narrow = clientCodec({}, `${PMD}; server_max_window_bits=10`);
    expect((await decodeMessage(narrow, [compressed[0]])).equals(messages[0])).toBe(true);
    const error = await rejection(decodeMessage(narrow, [compressed[1]]));
    expect(error.closeCode).toBe(CloseCode.InvalidPayload);
    narrow.dispose();
    const wide = clientCodec({ clientMaxWindowBits: 10 }, `${PMD}; client_max_window_bits=10`);
    for (let i = 0; i < 2; i++) expect((await decodeMessage(wide, [compressed[i]])).equals(messages[i])).toBe(true);
    wide.dispose();
  });

  it.each<[string, string, boolean, boolean]>([
    ['takeover both ways', PMD, true, true],
    [
      'client_no_context_takeover: the deflater is released after each message',
      `${PMD}; client_no_context_takeover`,
      false,
      true,
    ],
    [
      'server_no_context_takeover: the inflater is released after each message',
      `${PMD}; server_no_context_takeover`,
      true,
      false,
    ],
  ])('%s', async (_label, header, keepsDeflater, keepsInflater) => {
    const codec = clientCodec({}, header);
    const message = sample(2000);
    const sent = await encode(codec, message);
    expect(codec.deflater.holdsStream).toBe(keepsDeflater);
    const peer = new PeerDeflater();
    expect((await decodeMessage(codec, [await peer.compress(message)])).equals(message)).toBe(true);
    peer.close();
    expect(codec.inflater.holdsStream).toBe(keepsInflater);
    // Without client takeover, each message inflates on its own.
    const second = await encode(codec, message);
    if (!keepsDeflater) expect(await strictInflate([second.payload], 15)).toEqual([message]);
    else expect(second.payload.length).toBeLessThan(sent.payload.length);
    codec.dispose();
  });

  it('guards against a decompression bomb with the connection maxPayload (1009)', async () => {
    const codec = clientCodec({}, PMD, 64 * 1024);
    const peer = new PeerDeflater();
    const bomb = await peer.compress(Buffer.alloc(1024 * 1024));
    peer.close();
    const error = await rejection(decodeMessage(codec, [bomb]));
    expect(error.closeCode).toBe(CloseCode.MessageTooBig);
    codec.dispose();
  });
});
