/**
 * The client side of the test-only `x-xor` extension (see xor-extension.ts): it offers
 * `x-xor; key=K` and accepts only a response with that same key, so the client extension
 * pipeline (offer → response check → codec) can be checked against our Server without zlib.
 */
import type { Extension, ExtensionAcceptance, ExtensionCodec, ExtensionParam } from '@ws/core';
import { XOR_RSV, xorBytes } from './xor-extension';

export interface XorClientStats {
  decoded: number;
  encoded: number;
  /** Every response parameter list accept() was given. */
  responses: (readonly ExtensionParam[])[];
}

export function xorClientExtension(key = 7): Extension & { stats: XorClientStats } {
  const stats: XorClientStats = { decoded: 0, encoded: 0, responses: [] };
  return {
    name: 'x-xor',
    rsv: XOR_RSV,
    stats,
    negotiate: () => null,
    offer: () => [[{ name: 'key', value: String(key) }]],
    accept(params): ExtensionAcceptance {
      stats.responses.push(params);
      const answered = params.find((p) => p.name === 'key');
      if (params.length !== 1 || answered === undefined || answered.value !== String(key)) {
        throw new Error(`x-xor: the response must carry key=${key}`);
      }
      return {
        params,
        createCodec: (): ExtensionCodec => ({
          decode(payload, rsv, _fin, done) {
            stats.decoded++;
            done(null, (rsv & XOR_RSV) !== 0 ? xorBytes(payload, key) : payload);
          },
          encode(payload, rsv, options, done) {
            stats.encoded++;
            if (!options.compress) return done(null, payload, rsv);
            done(null, xorBytes(payload, key), rsv | XOR_RSV);
          },
          dispose() {},
        }),
      };
    },
  };
}
