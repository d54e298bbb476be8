/**
 * Tiny test-only extension codecs (in the manner of python-websockets' Rsv2Extension) for the
 * extension chain and the protocol's pipeline, without zlib.
 *
 * - `tagCodec`: appends its tag byte to every payload on decode and encode, so the order codecs
 *   ran in can be read off the result ('x' through A, B, C encodes to 'xABC').
 * - `xorCodec`: XORs with a key; its decode undoes its encode, as a real extension's would.
 * - `Deferred`: holds callbacks until the test releases them, so asynchronous codecs are
 *   checked without timers.
 *
 * With `pieces: true` a codec opts in to `decodesPartialFrames` (xor works byte by byte, so its
 * output is the same however the frames are cut).
 */
import {
  type WebSocketError,
  type DecodeCallback,
  type EncodeCallback,
  type EncodeOptions,
  type ExtensionCodec,
} from '@ws/core';

/** Callbacks held back until `release()`: an asynchronous codec with no timers. */
export class Deferred {
  private readonly pending: (() => void)[] = [];

  run(fn: () => void): void {
    this.pending.push(fn);
  }

  get size(): number {
    return this.pending.length;
  }

  /** Runs what is pending now (in order), including what those calls defer in turn. */
  releaseAll(): void {
    while (this.pending.length > 0) this.pending.shift()!();
  }

  releaseOne(): void {
    this.pending.shift()?.();
  }
}

export interface CallRecord {
  step: 'decode' | 'encode';
  name: string;
  payload: string;
  rsv: number;
  fin?: boolean;
  options?: EncodeOptions;
}

export interface TestCodecOptions {
  /** The RSV bit set on encode (0 = none). */
  rsv?: number;
  /** When set, callbacks wait in this queue. */
  deferred?: Deferred;
  /** Shared log of calls, in order. */
  log?: CallRecord[];
  /** Opt in to frames in pieces (`decodesPartialFrames`). */
  pieces?: boolean;
}

export interface TestCodec extends ExtensionCodec {
  disposed: number;
}

function later(options: TestCodecOptions, fn: () => void): void {
  if (options.deferred) options.deferred.run(fn);
  else fn();
}

function makeCodec(
  name: string,
  options: TestCodecOptions,
  decodeBytes: (payload: Buffer, rsv: number) => Buffer,
  encodeBytes: (payload: Buffer) => Buffer,
): TestCodec {
  const codec: TestCodec = {
    disposed: 0,
    decodesPartialFrames: options.pieces === true,
    decode(payload: Buffer, rsv: number, fin: boolean, done: DecodeCallback): void {
      options.log?.push({ step: 'decode', name, payload: payload.toString('latin1'), rsv, fin });
      const out = decodeBytes(payload, rsv);
      later(options, () => done(null, out));
    },
    encode(payload: Buffer, rsv: number, encodeOptions: EncodeOptions, done: EncodeCallback): void {
      options.log?.push({ step: 'encode', name, payload: payload.toString('latin1'), rsv, options: encodeOptions });
      if (!encodeOptions.compress) return later(options, () => done(null, payload, rsv));
      const out = encodeBytes(payload);
      later(options, () => done(null, out, rsv | (options.rsv ?? 0)));
    },
    dispose(): void {
      codec.disposed++;
    },
  };
  return codec;
}

/** Appends the one-character `tag` on decode and encode. */
export function tagCodec(tag: string, options: TestCodecOptions = {}): TestCodec {
  const append = (payload: Buffer): Buffer => Buffer.concat([payload, Buffer.from(tag, 'latin1')]);
  return makeCodec(tag, options, append, append);
}

export function xorBytes(data: Buffer, key: number): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key;
  return out;
}

/** XORs with `key` on encode (setting its RSV bit) and on decode of messages bearing that bit. */
export function xorCodec(key: number, options: TestCodecOptions & { rsv: number }): TestCodec {
  return makeCodec(
    `xor${key}`,
    options,
    (payload, rsv) => ((rsv & options.rsv) !== 0 ? xorBytes(payload, key) : payload),
    (payload) => xorBytes(payload, key),
  );
}

/** Throws from decode and encode. */
export function throwingCodec(message = 'codec exploded'): TestCodec {
  const codec: TestCodec = {
    disposed: 0,
    decode(): void {
      throw new Error(message);
    },
    encode(): void {
      throw new Error(message);
    },
    dispose(): void {
      codec.disposed++;
    },
  };
  return codec;
}

/** Calls back with an error (a WebSocketError on decode, as the contract asks). */
export function failingCodec(
  decodeError: WebSocketError | null,
  encodeError: Error | null = null,
  deferred?: Deferred,
): TestCodec {
  const codec: TestCodec = {
    disposed: 0,
    decode(payload, _rsv, _fin, done): void {
      later({ deferred }, () => (decodeError ? done(decodeError, null) : done(null, payload)));
    },
    encode(payload, rsv, _options, done): void {
      later({ deferred }, () => (encodeError ? done(encodeError, null, 0) : done(null, payload, rsv)));
    },
    dispose(): void {
      codec.disposed++;
    },
  };
  return codec;
}

/** Calls back with neither an error nor bytes. */
export function emptyCodec(): TestCodec {
  const codec: TestCodec = {
    disposed: 0,
    decode(_payload, _rsv, _fin, done): void {
      done(null, null);
    },
    encode(_payload, _rsv, _options, done): void {
      done(null, null, 0);
    },
    dispose(): void {
      codec.disposed++;
    },
  };
  return codec;
}
