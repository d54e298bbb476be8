/**
 * extension/chain.ts (RFC 6455 §9): inbound frames run through the codecs in reverse of the
 * negotiated order, outbound messages in that order; errors stop the chain and reach the
 * caller; a codec that throws becomes WS_ERR_EXTENSION_FAILED (1011); dispose() silences it.
 */
import { ExtensionChain, WebSocketError, type DecodeCallback, type EncodeCallback } from '@ws/core';
import {
  Deferred,
  emptyCodec,
  failingCodec,
  tagCodec,
  throwingCodec,
  type CallRecord,
  type TestCodec,
} from '../helpers/sans-io-codecs';

interface Result {
  error: Error | null;
  payload: string | null;
  rsv?: number;
}

function decode(chain: ExtensionChain, payload: string, rsv = 0, fin = true): Result[] {
  const results: Result[] = [];
  const done: DecodeCallback = (error, out) => results.push({ error, payload: out && out.toString('latin1') });
  chain.decode(Buffer.from(payload, 'latin1'), rsv, fin, done);
  return results;
}

function encode(chain: ExtensionChain, payload: string, compress = true, binary = false): Result[] {
  const results: Result[] = [];
  const done: EncodeCallback = (error, out, rsv) =>
    results.push({ error, payload: out && out.toString('latin1'), rsv });
  chain.encode(Buffer.from(payload, 'latin1'), { binary, compress }, done);
  return results;
}

function abc(options: { deferred?: Deferred; log?: CallRecord[] } = {}): TestCodec[] {
  return [
    tagCodec('A', { ...options, rsv: 0b100 }),
    tagCodec('B', { ...options, rsv: 0b010 }),
    tagCodec('C', { ...options, rsv: 0b001 }),
  ];
}

describe('RFC 6455 §9: order', () => {
  it('decodes in reverse of the negotiated order', () => {
    expect(decode(new ExtensionChain(abc()), 'x')).toEqual([{ error: null, payload: 'xCBA' }]);
  });

  it('encodes in the negotiated order, OR-ing the RSV bits each codec sets', () => {
    expect(encode(new ExtensionChain(abc()), 'x')).toEqual([{ error: null, payload: 'xABC', rsv: 0b111 }]);
  });

  it('gives each codec the RSV bits and fin it was called with', () => {
    const log: CallRecord[] = [];
    decode(new ExtensionChain(abc({ log })), 'x', 0b100, false);
    expect(log.map((c) => [c.name, c.rsv, c.fin])).toEqual([
      ['C', 0b100, false],
      ['B', 0b100, false],
      ['A', 0b100, false],
    ]);
  });

  it('passes the encode options and the RSV so far along the chain', () => {
    const log: CallRecord[] = [];
    encode(new ExtensionChain(abc({ log })), 'x', true, true);
    expect(log.map((c) => [c.name, c.rsv, c.options])).toEqual([
      ['A', 0, { binary: true, compress: true }],
      ['B', 0b100, { binary: true, compress: true }],
      ['C', 0b110, { binary: true, compress: true }],
    ]);
  });

  it('leaves the message and RSV alone when every codec passes (compress: false)', () => {
    expect(encode(new ExtensionChain(abc()), 'x', false)).toEqual([{ error: null, payload: 'x', rsv: 0 }]);
  });

  it('returns the payload unchanged with no codecs', () => {
    const chain = new ExtensionChain([]);
    expect(decode(chain, 'same')).toEqual([{ error: null, payload: 'same' }]);
    expect(encode(chain, 'same')).toEqual([{ error: null, payload: 'same', rsv: 0 }]);
  });
});

describe('RFC 6455 §9: asynchronous codecs', () => {
  it('gives the same decode result, once every step has called back', () => {
    const deferred = new Deferred();
    const chain = new ExtensionChain(abc({ deferred }));
    const results = decode(chain, 'x');
    expect(results).toEqual([]);
    deferred.releaseAll();
    expect(results).toEqual([{ error: null, payload: 'xCBA' }]);
  });

  it('gives the same encode result, once every step has called back', () => {
    const deferred = new Deferred();
    const chain = new ExtensionChain(abc({ deferred }));
    const results = encode(chain, 'x');
    deferred.releaseOne();
    deferred.releaseOne();
    expect(results).toEqual([]);
    deferred.releaseOne();
    expect(results).toEqual([{ error: null, payload: 'xABC', rsv: 0b111 }]);
  });

  it('mixes synchronous and asynchronous codecs', () => {
    const deferred = new Deferred();
    const chain = new ExtensionChain([tagCodec('A'), tagCodec('B', { deferred }), tagCodec('C')]);
    const results = decode(chain, 'x');
    deferred.releaseAll();
    expect(results).toEqual([{ error: null, payload: 'xCBA' }]);
  });

  it('runs a decode and an encode at the same time without mixing them up', () => {
    const deferred = new Deferred();
    const chain = new ExtensionChain(abc({ deferred }));
    const decoded = decode(chain, 'in');
    const encoded = encode(chain, 'out');
    deferred.releaseAll();
    expect(decoded).toEqual([{ error: null, payload: 'inCBA' }]);
    expect(encoded).toEqual([{ error: null, payload: 'outABC', rsv: 0b111 }]);
  });

  it('handles one frame after another on the same chain', () => {
    const chain = new ExtensionChain(abc());
    expect([decode(chain, '1'), decode(chain, '2')]).toEqual([
      [{ error: null, payload: '1CBA' }],
      [{ error: null, payload: '2CBA' }],
    ]);
  });
});

describe('RFC 6455 §9: errors', () => {
  it("hands a codec's decode error to the caller as is, skipping the codecs after it", () => {
    const error = new WebSocketError('WS_ERR_INVALID_COMPRESSED_DATA', 'bad');
    const log: CallRecord[] = [];
    const chain = new ExtensionChain([tagCodec('A', { log }), failingCodec(error)]);
    const results = decode(chain, 'x');
    expect(results).toHaveLength(1);
    expect(results[0].error).toBe(error);
    expect(results[0].payload).toBeNull();
    expect(log).toEqual([]);
  });

  it("hands a codec's encode error to the caller as is, skipping the codecs after it", () => {
    const error = new Error('encoder full');
    const log: CallRecord[] = [];
    const chain = new ExtensionChain([failingCodec(null, error), tagCodec('B', { log })]);
    const results = encode(chain, 'x');
    expect(results.map((r) => r.error)).toEqual([error]);
    expect(log).toEqual([]);
  });

  it.each(['decode', 'encode'] as const)(
    'turns a codec that throws on %s into WS_ERR_EXTENSION_FAILED (1011)',
    (step) => {
      const chain = new ExtensionChain([throwingCodec('kaboom')]);
      const [result] = step === 'decode' ? decode(chain, 'x') : encode(chain, 'x');
      expect(result.error).toBeInstanceOf(WebSocketError);
      expect({
        code: (result.error as WebSocketError).code,
        closeCode: (result.error as WebSocketError).closeCode,
      }).toEqual({
        code: 'WS_ERR_EXTENSION_FAILED',
        closeCode: 1011,
      });
      expect(result.error!.message).toContain('kaboom');
      expect(result.payload).toBeNull();
    },
  );

  it.each(['decode', 'encode'] as const)(
    'turns a codec that gives back no data on %s into WS_ERR_EXTENSION_FAILED',
    (step) => {
      const chain = new ExtensionChain([emptyCodec()]);
      const [result] = step === 'decode' ? decode(chain, 'x') : encode(chain, 'x');
      expect((result.error as WebSocketError).code).toBe('WS_ERR_EXTENSION_FAILED');
    },
  );

  it.each(['decode', 'encode'] as const)(
    "lets an error thrown by the caller's %s callback out, instead of reporting a codec failure",
    (step) => {
      const chain = new ExtensionChain([tagCodec('A')]);
      const calls: (Error | null)[] = [];
      const run = (): void => {
        if (step === 'decode') {
          chain.decode(Buffer.from('x'), 0, true, (error) => {
            calls.push(error);
            throw new Error('listener bug');
          });
        } else {
          chain.encode(Buffer.from('x'), { binary: true, compress: true }, (error) => {
            calls.push(error);
            throw new Error('listener bug');
          });
        }
      };
      expect(run).toThrow('listener bug');
      expect(calls).toEqual([null]);
    },
  );

  it('calls back once when a codec calls back twice', () => {
    const twice: TestCodec = {
      disposed: 0,
      decode(payload, _rsv, _fin, done) {
        done(null, payload);
        done(null, payload);
      },
      encode(payload, rsv, _options, done) {
        done(null, payload, rsv);
        done(null, payload, rsv);
      },
      dispose() {},
    };
    const chain = new ExtensionChain([twice]);
    expect(decode(chain, 'x')).toHaveLength(1);
    expect(encode(chain, 'x')).toHaveLength(1);
  });
});

describe('ExtensionChain.dispose', () => {
  it('disposes every codec once, even if called twice', () => {
    const codecs = abc();
    const chain = new ExtensionChain(codecs);
    chain.dispose();
    chain.dispose();
    expect(codecs.map((c) => c.disposed)).toEqual([1, 1, 1]);
  });

  it('disposes the others when one throws', () => {
    const codecs = abc();
    codecs[0].dispose = () => {
      throw new Error('leaky');
    };
    const chain = new ExtensionChain(codecs);
    expect(() => chain.dispose()).not.toThrow();
    expect(codecs.slice(1).map((c) => c.disposed)).toEqual([1, 1]);
  });

  it('drops decode callbacks that arrive after it', () => {
    const deferred = new Deferred();
    const chain = new ExtensionChain(abc({ deferred }));
    const results = decode(chain, 'x');
    chain.dispose();
    deferred.releaseAll();
    expect(results).toEqual([]);
  });

  it('drops encode callbacks that arrive after it', () => {
    const deferred = new Deferred();
    const chain = new ExtensionChain(abc({ deferred }));
    const results = encode(chain, 'x');
    deferred.releaseOne();
    chain.dispose();
    deferred.releaseAll();
    expect(results).toEqual([]);
  });
});
