import { randomFillSync } from 'node:crypto';

/**
 * Mask keys for client frames (RFC 6455 §5.3: "derived from a strong source of entropy", a
 * fresh key per frame). One process-wide pool is filled from the CSPRNG in a batch and handed
 * out 4 bytes at a time, so a frame costs neither a syscall nor an allocation; the pool is
 * refilled in place once used up (every 2048 frames).
 */
const POOL_SIZE = 8 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let next = POOL_SIZE;

/** The next 4-byte mask key, as a big-endian uint32 (the order its bytes go on the wire). */
export function nextMaskKey(): number {
  if (next === POOL_SIZE) {
    randomFillSync(pool);
    next = 0;
  }
  const key = pool.readUInt32BE(next);
  next += 4;
  return key;
}
