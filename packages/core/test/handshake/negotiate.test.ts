/**
 * RFC 6455 §9.1: extension negotiation. Configured extensions are tried in the server's order,
 * each sees every offer bearing its name; a decline (or a throw on hostile offers) leaves the
 * extension out and the handshake goes on; accepted extensions' RSV bits add up.
 */
import {
  Rsv1,
  Rsv2,
  Rsv3,
  type Extension,
  type ExtensionAcceptance,
  type ExtensionOffer,
  type ExtensionParam,
} from '@ws/core';
import { checkExtensionList, negotiateExtensions } from '../../src/handshake/negotiate';
import { tagCodec } from '../helpers/sans-io-codecs';

interface FakeExtension extends Extension {
  seen: (readonly ExtensionOffer[])[];
}

/** Accepts the first offer (answering `params`), declines, or throws, as told. */
function extension(
  name: string,
  rsv: number,
  behaviour: 'accept' | 'decline' | 'throw' = 'accept',
  params: ExtensionParam[] = [],
): FakeExtension {
  const seen: (readonly ExtensionOffer[])[] = [];
  return {
    name,
    rsv,
    seen,
    negotiate(offers): ExtensionAcceptance | null {
      seen.push(offers);
      if (behaviour === 'throw') throw new Error('hostile offer');
      if (behaviour === 'decline') return null;
      return { params, createCodec: () => tagCodec(name[0]) };
    },
  };
}

const offer = (name: string, ...params: [string, string | true][]): ExtensionOffer => ({
  name,
  params: params.map(([n, value]) => ({ name: n, value })),
});

describe('RFC 6455 §9.1: negotiateExtensions', () => {
  it('answers in the server order whatever the client order', () => {
    const x = extension('x-one', Rsv1);
    const y = extension('x-two', Rsv2);
    const result = negotiateExtensions([x, y], [offer('x-two'), offer('x-one')]);
    expect(result.accepted.map((a) => a.extension.name)).toEqual(['x-one', 'x-two']);
    expect(result.header).toBe('x-one, x-two');
  });

  it('shows each extension every offer bearing its name, in client order, and no other', () => {
    const x = extension('x-one', Rsv1);
    negotiateExtensions([x], [offer('x-one', ['a', '1']), offer('other'), offer('x-one', ['a', '2'])]);
    expect(x.seen).toEqual([[offer('x-one', ['a', '1']), offer('x-one', ['a', '2'])]]);
  });

  it('formats the accepted parameters into the response header', () => {
    const x = extension('x-one', Rsv1, 'accept', [
      { name: 'flag', value: true },
      { name: 'bits', value: '10' },
    ]);
    expect(negotiateExtensions([x], [offer('x-one')]).header).toBe('x-one; flag; bits=10');
  });

  it('adds up the RSV bits of the accepted extensions', () => {
    const result = negotiateExtensions(
      [extension('a', Rsv1), extension('b', Rsv2), extension('c', Rsv3)],
      [offer('a'), offer('b'), offer('c')],
    );
    expect(result.rsv).toBe(Rsv1 | Rsv2 | Rsv3);
  });

  it('leaves a declining extension out, its RSV bit unclaimed', () => {
    const result = negotiateExtensions(
      [extension('a', Rsv1, 'decline'), extension('b', Rsv2)],
      [offer('a'), offer('b')],
    );
    expect(result.accepted.map((a) => a.extension.name)).toEqual(['b']);
    expect(result.header).toBe('b');
    expect(result.rsv).toBe(Rsv2);
  });

  it('treats an extension that throws as declining, and goes on with the others', () => {
    const thrower = extension('a', Rsv1, 'throw');
    const result = negotiateExtensions([thrower, extension('b', Rsv2)], [offer('a'), offer('b')]);
    expect(thrower.seen).toHaveLength(1);
    expect(result.accepted.map((a) => a.extension.name)).toEqual(['b']);
    expect(result.rsv).toBe(Rsv2);
  });

  it('gives nothing when every extension declines', () => {
    expect(negotiateExtensions([extension('a', Rsv1, 'decline')], [offer('a')])).toEqual({
      accepted: [],
      header: '',
      rsv: 0,
    });
  });

  it('ignores offers for extensions the server does not have', () => {
    expect(negotiateExtensions([extension('a', Rsv1)], [offer('unknown')])).toEqual({
      accepted: [],
      header: '',
      rsv: 0,
    });
  });

  it('does not ask an extension the client did not offer', () => {
    const x = extension('a', Rsv1);
    negotiateExtensions([x], [offer('b')]);
    expect(x.seen).toEqual([]);
  });

  it('gives nothing with no offers or no extensions', () => {
    expect(negotiateExtensions([extension('a', Rsv1)], [])).toEqual({ accepted: [], header: '', rsv: 0 });
    expect(negotiateExtensions([], [offer('a')])).toEqual({ accepted: [], header: '', rsv: 0 });
  });

  it('keeps the acceptance so the connection can make its codec', () => {
    const [accepted] = negotiateExtensions([extension('a', Rsv1)], [offer('a')]).accepted;
    expect(typeof accepted.acceptance.createCodec({ maxPayload: 0 }).decode).toBe('function');
  });
});

describe('RFC 6455 §5.2, §9: checkExtensionList', () => {
  it('accepts extensions that claim distinct bits', () => {
    expect(() => checkExtensionList([extension('a', Rsv1), extension('b', Rsv2), extension('c', Rsv3)])).not.toThrow();
  });

  it('accepts several extensions that claim no bit', () => {
    expect(() => checkExtensionList([extension('a', 0), extension('b', 0)])).not.toThrow();
  });

  it.each([
    ['the same bit', Rsv1, Rsv1],
    ['overlapping bits', Rsv1, Rsv1 | Rsv2],
    ['all bits then one', Rsv1 | Rsv2 | Rsv3, Rsv3],
  ])('throws when two extensions claim %s', (_name, first, second) => {
    expect(() => checkExtensionList([extension('a', first), extension('b', second)])).toThrow(/RSV/);
  });

  it.each([8, 16, -1])('throws RangeError for RSV value %i', (rsv) => {
    expect(() => checkExtensionList([extension('a', rsv)])).toThrow(RangeError);
  });

  it('throws when one extension is configured twice', () => {
    expect(() => checkExtensionList([extension('a', Rsv1), extension('a', Rsv2)])).toThrow(/twice/);
  });
});
