/**
 * A test-only extension, `x-xor`: it claims RSV2 and XORs every payload byte with a key, so the
 * extension pipeline can be checked over real sockets without zlib. XOR works byte by byte, so a
 * message may be decoded frame by frame and encoded whole with the same result.
 *
 *   offer     x-xor; key=7       → response x-xor; key=7     (key 1-255, default 90)
 *   offer     x-xor; decline     → no response entry (the extension declines)
 *
 * With `async: true` every callback is deferred, and the first of every three is delayed a few
 * milliseconds more, so a connection that did not keep order would reorder messages.
 */
import type { Extension, ExtensionAcceptance, ExtensionCodec, ExtensionOffer } from '@ws/core';

/** RSV2 as the low-nibble value RFC 6455 §5.2 bits map to in the core's contract. */
export const XOR_RSV = 0b010;
export const DEFAULT_XOR_KEY = 90;

export interface XorStats {
  decoded: number;
  encoded: number;
  disposed: number;
  /** Every offer list negotiate() was given. */
  offers: ExtensionOffer[][];
}

export function xorBytes(data: Buffer, key: number): Buffer {
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key;
  return out;
}

export function xorExtension(options: { async?: boolean } = {}): Extension & { stats: XorStats } {
  const stats: XorStats = { decoded: 0, encoded: 0, disposed: 0, offers: [] };
  let calls = 0;
  const later = (fn: () => void): void => {
    if (!options.async) return fn();
    // Uneven delays: a pipeline that did not serialise would let a later message overtake.
    if (calls++ % 3 === 0) setTimeout(fn, 5);
    else setImmediate(fn);
  };
  return {
    name: 'x-xor',
    rsv: XOR_RSV,
    stats,
    negotiate(offers): ExtensionAcceptance | null {
      stats.offers.push([...offers]);
      for (const offer of offers) {
        if (offer.params.some((p) => p.name === 'decline')) continue;
        const keyParam = offer.params.find((p) => p.name === 'key');
        const key = keyParam === undefined ? DEFAULT_XOR_KEY : Number(keyParam.value);
        if (!Number.isInteger(key) || key < 1 || key > 255) continue;
        return {
          params: keyParam === undefined ? [] : [{ name: 'key', value: String(key) }],
          createCodec: (): ExtensionCodec => ({
            decode(payload, rsv, _fin, done) {
              stats.decoded++;
              const out = (rsv & XOR_RSV) !== 0 ? xorBytes(payload, key) : payload;
              later(() => done(null, out));
            },
            encode(payload, rsv, encodeOptions, done) {
              stats.encoded++;
              if (!encodeOptions.compress) return later(() => done(null, payload, rsv));
              const out = xorBytes(payload, key);
              later(() => done(null, out, rsv | XOR_RSV));
            },
            dispose() {
              stats.disposed++;
            },
          }),
        };
      }
      return null;
    },
  };
}
