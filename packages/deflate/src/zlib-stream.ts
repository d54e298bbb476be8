import zlib from 'node:zlib';
import { types } from 'node:util';
import type { Transform } from 'node:stream';

/**
 * zlib streams that report to whichever connection side currently owns them.
 *
 * Listeners are module-level functions that find their owner through a symbol property, so a
 * stream costs one closure (its write callback) however many messages it carries, and a
 * stream can move between connections through a `StreamPool` without re-wiring. A stream whose
 * owner is null (released, failed, disposed) has its late events ignored: a zlib callback that
 * arrives after a connection is gone is harmless.
 */

export interface ZlibOwner {
  /** Output produced while this owner holds the stream. */
  onZlibData(chunk: Buffer): void;
  /** The last write has been fully processed and its output delivered. */
  onZlibWritten(): void;
  /** zlib rejected the input (or failed); the stream is unusable. */
  onZlibError(error: Error): void;
}

export const kOwner = Symbol('deflate.owner');
export const kWritten = Symbol('deflate.written');
/** The stream can be written on the main thread (see sync-write.ts). */
export const kSyncWritable = Symbol('deflate.syncWritable');
/** A synchronous write saw the end of the peer's DEFLATE stream (BFINAL). */
export const kEnded = Symbol('deflate.ended');

export type ZlibStream = Transform & zlib.Zlib & zlib.ZlibReset;

export interface OwnedStream extends ZlibStream {
  [kOwner]: ZlibOwner | null;
  /** The write callback of this stream, made once. */
  readonly [kWritten]: (error?: Error | null) => void;
  readonly [kSyncWritable]: boolean;
  [kEnded]: boolean;
}

/**
 * What a synchronous write uses of Node's zlib stream: the native handle whose `writeSync`
 * Node's own `zlib.*Sync` functions call, and the array it leaves `[availOut, availIn]` in.
 * Not public API, so each stream is checked for them (`kSyncWritable`).
 */
export interface ZlibInternals {
  readonly _handle: {
    writeSync(
      flush: number,
      input: Buffer,
      inOffset: number,
      inLength: number,
      output: Buffer,
      outOffset: number,
      outLength: number,
    ): void;
  } | null;
  readonly _writeState: Uint32Array;
}

export type StreamKind = 'deflate' | 'inflate';

/**
 * Makes a raw DEFLATE stream (RFC 7692 §7.2.1 uses no zlib header) whose every write ends in a
 * sync flush: a deflater's output for a message then ends with 0x00 0x00 0xff 0xff, and an
 * inflater hands out everything it can decode for each frame.
 */
export function createOwnedStream(kind: StreamKind, options: zlib.ZlibOptions): OwnedStream {
  const settings: zlib.ZlibOptions = { ...options, flush: zlib.constants.Z_SYNC_FLUSH };
  const stream = (
    kind === 'deflate' ? zlib.createDeflateRaw(settings) : zlib.createInflateRaw(settings)
  ) as OwnedStream;
  stream[kOwner] = null;
  stream[kEnded] = false;
  const internals = stream as unknown as Partial<ZlibInternals>;
  (stream as { [kSyncWritable]: boolean })[kSyncWritable] =
    typeof internals._handle?.writeSync === 'function' &&
    types.isUint32Array(internals._writeState) && // not instanceof: jest runs tests in another realm
    internals._writeState.length >= 2;
  (stream as { [kWritten]: OwnedStream[typeof kWritten] })[kWritten] = (error) => {
    const owner = stream[kOwner];
    if (owner === null) return;
    if (error) owner.onZlibError(error);
    else owner.onZlibWritten();
  };
  stream.on('data', onStreamData);
  // Always listening: an 'error' without a listener would throw and take the process down.
  stream.on('error', onStreamError);
  return stream;
}

function onStreamData(this: OwnedStream, chunk: Buffer): void {
  const owner = this[kOwner];
  if (owner !== null) owner.onZlibData(chunk);
}

function onStreamError(this: OwnedStream, error: Error): void {
  const owner = this[kOwner];
  if (owner !== null) owner.onZlibError(error);
}

/** Detaches and frees a stream at once (zlib defers the free if a write is still running). */
export function destroyStream(stream: OwnedStream): void {
  stream[kOwner] = null;
  stream.close();
}

/**
 * The peer ended its DEFLATE stream with a BFINAL block (RFC 7692 §7.2.3.3 allows it).
 * Node's stream has then ended its readable side, synchronously, as it saw the end, so the
 * check is exact when a write's callback runs; a synchronous write marks it (`kEnded`). Such a
 * stream cannot inflate anything more.
 */
export function hasEnded(stream: OwnedStream): boolean {
  if (stream[kEnded]) return true;
  const state = (stream as unknown as { _readableState?: { ended?: boolean } })._readableState;
  return stream.readableEnded || (state !== undefined && state.ended === true);
}
