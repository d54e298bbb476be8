/**
 * Frames for the hardening tests that frames.ts does not build: a message cut into one-byte
 * frames (built in one buffer, fast enough for hundreds of thousands), and lengths written in a
 * longer form than RFC 6455 §5.2 allows ("the minimal number of bytes MUST be used").
 */

/** Any non-zero key: each one-byte frame's payload is masked with its first byte. */
const MASK = [0x5a, 0x13, 0xc4, 0x7e];

/**
 * `payload` as one frame per byte, masked (RFC 6455 §5.3): the first frame has `firstOpcode`
 * (0 continues a message already begun), the rest are continuations, the last has FIN = `lastFin`.
 */
export function oneBytePerFrame(payload: Buffer, firstOpcode: number, lastFin: boolean): Buffer {
  const out = Buffer.alloc(payload.length * 7);
  for (let i = 0, o = 0; i < payload.length; i++, o += 7) {
    const fin = lastFin && i === payload.length - 1 ? 0x80 : 0;
    out[o] = fin | (i === 0 ? firstOpcode : 0);
    out[o + 1] = 0x80 | 1;
    out[o + 2] = MASK[0];
    out[o + 3] = MASK[1];
    out[o + 4] = MASK[2];
    out[o + 5] = MASK[3];
    out[o + 6] = payload[i] ^ MASK[0];
  }
  return out;
}

/** A masked frame whose length uses the 16-bit (126) or 64-bit (127) form whatever its size. */
export function frameWithLengthForm(opcode: number, payload: Buffer, form: 16 | 64): Buffer {
  const header = Buffer.alloc(form === 16 ? 4 : 10);
  header[0] = 0x80 | opcode;
  if (form === 16) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const key = Buffer.from(MASK);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([header, key, masked]);
}

/** A masked frame header (first byte `first`) announcing `length`, with its key, for trickling. */
export function frameHeaderWithKey(first: number, length: number): { header: Buffer; key: Buffer } {
  const key = Buffer.from(MASK);
  let header: Buffer;
  if (length < 126) header = Buffer.from([first, 0x80 | length]);
  else if (length < 0x10000) {
    header = Buffer.from([first, 0x80 | 126, 0, 0]);
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return { header: Buffer.concat([header, key]), key };
}
