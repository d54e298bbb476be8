/**
 * A message encoded once for many connections (`SharedEncoding`) in each connection's encode
 * queue: it leaves after what was sent before it and before what was sent after it, whichever
 * finishes encoding first; a failed shared encoding fails each connection waiting on it.
 */
import { ExtensionChain, Rsv1, SharedEncoding, type EncodeCallback, type SharedEncoder } from '@ws/core';
import { Deferred, tagCodec } from '../helpers/sans-io-codecs';
import { SansIo, expectFailure } from '../helpers/sans-io-harness';

const OPTIONS = { binary: false, compress: true };

/** Appends '!' to what it encodes, calling back when `deferred` releases it. */
function sharedTagEncoder(deferred: Deferred, error: Error | null = null): SharedEncoder & { calls: number } {
  return {
    calls: 0,
    encode(payload: Buffer, rsv: number, _options, done: EncodeCallback): void {
      this.calls++;
      deferred.run(() => done(error, error ? null : Buffer.concat([payload, Buffer.from('!')]), rsv | Rsv1));
    },
  };
}

function connection(deferred: Deferred): SansIo {
  return new SansIo({ extensions: new ExtensionChain([tagCodec('A', { rsv: Rsv1, deferred })]), allowedRsv: Rsv1 });
}

const texts = (io: SansIo): string[] => io.sent().map((frame) => frame.payload.toString());

describe('SharedEncoding in the encode queue', () => {
  it('keeps send order when the shared result comes before the own encodes', () => {
    const own = new Deferred();
    const shared = new Deferred();
    const ios = [connection(own), connection(own)];
    ios.forEach((io, i) => io.protocol.send(Buffer.from(`before${i}`), false, true));
    const encoder = sharedTagEncoder(shared);
    const encoding = new SharedEncoding(encoder, Buffer.from('all'), OPTIONS);
    ios.forEach((io) => io.protocol.sendShared(encoding));
    ios.forEach((io, i) => io.protocol.send(Buffer.from(`after${i}`), false, true));
    shared.releaseAll(); // the shared result is ready, but each connection is still encoding its first
    expect(ios.map(texts)).toEqual([[], []]);
    own.releaseAll();
    expect(ios.map(texts)).toEqual([
      ['before0A', 'all!', 'after0A'],
      ['before1A', 'all!', 'after1A'],
    ]);
    expect(encoder.calls).toBe(1);
    expect(ios[0].sent()[1].rsv).toBe(Rsv1);
  });

  it('keeps send order when the shared result comes last', () => {
    const own = new Deferred();
    const shared = new Deferred();
    const io = connection(own);
    io.protocol.send(Buffer.from('before'), false, true);
    const encoding = new SharedEncoding(sharedTagEncoder(shared), Buffer.from('all'), OPTIONS);
    io.protocol.sendShared(encoding);
    io.protocol.send(Buffer.from('after'), false, false);
    own.releaseAll();
    expect(texts(io)).toEqual(['beforeA']);
    expect(io.protocol.pendingBytes).toBe('all'.length + 'after'.length);
    shared.releaseAll();
    own.releaseAll();
    expect(texts(io)).toEqual(['beforeA', 'all!', 'after']);
    expect(io.protocol.pendingBytes).toBe(0);
  });

  it('a close queued behind a shared message waits for it', () => {
    const shared = new Deferred();
    const io = connection(new Deferred());
    io.protocol.sendShared(new SharedEncoding(sharedTagEncoder(shared), Buffer.from('all'), OPTIONS));
    io.protocol.close(1000);
    expect(io.sent()).toHaveLength(0);
    shared.releaseAll();
    expect(io.sent().map((frame) => frame.opcode)).toEqual([0x1, 0x8]);
  });

  it('a failed shared encoding fails every connection waiting on it, with 1011', () => {
    const shared = new Deferred();
    const ios = [connection(new Deferred()), connection(new Deferred())];
    const callbacks: (Error | null | undefined)[] = [];
    const encoding = new SharedEncoding(sharedTagEncoder(shared, new Error('zlib broke')), Buffer.from('x'), OPTIONS);
    ios.forEach((io) => io.protocol.sendShared(encoding, (error) => callbacks.push(error)));
    shared.releaseAll();
    for (const io of ios) expectFailure(io, 'WS_ERR_EXTENSION_FAILED', 1011);
    expect(callbacks.map((error) => error?.message)).toEqual(['zlib broke', 'zlib broke']);
  });

  it('a connection disposed while waiting is skipped; the others still get the result', () => {
    const shared = new Deferred();
    const ios = [connection(new Deferred()), connection(new Deferred())];
    const encoding = new SharedEncoding(sharedTagEncoder(shared), Buffer.from('all'), OPTIONS);
    ios.forEach((io) => io.protocol.sendShared(encoding));
    ios[0].protocol.dispose();
    shared.releaseAll();
    expect(ios.map(texts)).toEqual([[], ['all!']]);
  });

  it('a chain shares only through a single codec that names an encoder', () => {
    const encoder = sharedTagEncoder(new Deferred());
    const sharing = { ...tagCodec('A'), sharedEncoder: () => encoder };
    expect(new ExtensionChain([sharing]).sharedEncoder(OPTIONS, 10)).toBe(encoder);
    expect(new ExtensionChain([tagCodec('A')]).sharedEncoder(OPTIONS, 10)).toBeNull();
    expect(new ExtensionChain([sharing, tagCodec('B')]).sharedEncoder(OPTIONS, 10)).toBeNull();
  });
});
