/**
 * Test-only extensions that misbehave or stall on purpose, for the hardening tests. Each claims
 * RSV2 and is accepted when the client offers its name; none sets RSV bits on what it sends, so a
 * raw client reads plain frames.
 *
 *   delayedEncode([0, 150])   the n-th encode calls back after delays[n] ms (the last repeats)
 *   stalledEncode()           encode never calls back: a message stuck in the pipeline
 *   failingDecode(message)    decode fails with a plain Error, as a codec written in JS might
 */
import type { DecodeCallback, EncodeCallback, Extension, ExtensionCodec, WebSocketError } from '@ws/core';

const RSV2 = 0b010;

function identityExtension(name: string, codec: () => Partial<ExtensionCodec>): Extension {
  return {
    name,
    rsv: RSV2,
    negotiate: (offers) =>
      offers.length === 0
        ? null
        : {
            params: [],
            createCodec: (): ExtensionCodec => ({
              decode: (payload: Buffer, _rsv: number, _fin: boolean, done: DecodeCallback) => done(null, payload),
              encode: (payload: Buffer, rsv: number, _options, done: EncodeCallback) => done(null, payload, rsv),
              dispose: () => undefined,
              ...codec(),
            }),
          },
  };
}

/** Encodes unchanged, each message after its own delay (setTimeout, so later turns of the loop). */
export function delayedEncode(delaysMs: readonly number[]): Extension {
  return identityExtension('x-delay', () => {
    let calls = 0;
    return {
      encode(payload, rsv, _options, done) {
        const ms = delaysMs[Math.min(calls++, delaysMs.length - 1)];
        setTimeout(() => done(null, payload, rsv), ms);
      },
    };
  });
}

/** Accepts every message for encoding and never calls back. */
export function stalledEncode(): Extension {
  return identityExtension('x-stall', () => ({
    encode() {
      // Never calls `done`: the message (and anything queued behind it) waits forever.
    },
  }));
}

/** Fails every decode with a plain `Error` (not a WebSocketError), whatever the type says. */
export function failingDecode(message: string): Extension {
  return identityExtension('x-fail', () => ({
    decode(_payload, _rsv, _fin, done) {
      done(new Error(message) as WebSocketError, null);
    },
  }));
}
