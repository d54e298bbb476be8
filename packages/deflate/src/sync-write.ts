import zlib from 'node:zlib';
import { kEnded, kOwner, type OwnedStream, type ZlibInternals, type ZlibOwner } from './zlib-stream';

/**
 * zlib work on the main thread, for messages small enough that a thread-pool round trip costs
 * more than it saves.
 *
 * Why: an asynchronous zlib write is at least one round trip through libuv's thread pool (queue
 * the work, wake a thread, wake the event loop, run the stream's callback machinery), 10-25 µs
 * of CPU each when the process shares its core with the pool, and one more per output chunk:
 * echoing a 16 KiB JSON message took 3 of them (7 with context takeover's 4 KiB chunks) and 147
 * (186) µs of server CPU, where zlib's own work on it is about 65 µs (docs/profiles/deflate.md).
 * Run here, the message costs zlib's work and a copy of its output.
 *
 * Node's streams have no public synchronous write that keeps the stream open (`_processChunk`
 * without a callback closes it after one use, as `zlib.deflateRawSync` does), so this calls the
 * native `writeSync` that Node's `processChunkSync` calls, with the same arguments, and reads
 * the same result array; streams without them (`kSyncWritable` false) go to the thread pool.
 * A zlib error is reported by Node synchronously: the stream is destroyed, its `errored` set.
 */

/** The input was used up and zlib has given all it had (or the owner stopped it). */
export const SYNC_DONE = -1;

const FLUSH = zlib.constants.Z_SYNC_FLUSH;
/** One output buffer for every synchronous write in the process: they never overlap. */
const SCRATCH_SIZE = 64 * 1024;
let scratch: Buffer | null = null;

/**
 * Writes `input` with a sync flush, handing each piece of output (a copy of its exact length) to
 * `owner.onZlibData`, or a failure to `owner.onZlibError`. Stops early once `maxOutput` bytes
 * came out with input or output still pending, and returns how much input zlib consumed (the
 * rest can be written asynchronously); otherwise returns `SYNC_DONE`. The owner must hold the
 * stream and no asynchronous write may be in progress on it.
 */
export function writeSync(stream: OwnedStream, input: Buffer, owner: ZlibOwner, maxOutput: number): number {
  const internals = stream as unknown as ZlibInternals;
  const state = internals._writeState;
  const output = (scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE));
  let consumed = 0;
  let produced = 0;
  for (;;) {
    const handle = internals._handle;
    if (handle === null || stream.destroyed) return failed(stream, owner);
    const inLength = input.length - consumed;
    handle.writeSync(FLUSH, input, consumed, inLength, output, 0, SCRATCH_SIZE);
    if (stream.destroyed) return failed(stream, owner);
    const availOut = state[0];
    const availIn = state[1];
    consumed += inLength - availIn;
    const length = SCRATCH_SIZE - availOut;
    if (length > 0) {
      const chunk = Buffer.allocUnsafe(length);
      output.copy(chunk, 0, 0, length);
      produced += length;
      owner.onZlibData(chunk);
      // The owner let go of the stream (an inflated message past maxPayload): stop here.
      if (stream[kOwner] !== owner) return SYNC_DONE;
    }
    if (availOut !== 0) {
      // Room left: zlib wanted more input, or (input left over) met the stream's end.
      if (availIn > 0) stream[kEnded] = true;
      return SYNC_DONE;
    }
    if (produced >= maxOutput) return consumed;
  }
}

function failed(stream: OwnedStream, owner: ZlibOwner): number {
  owner.onZlibError(stream.errored ?? new Error('zlib stream closed'));
  return SYNC_DONE;
}
