import zlib from 'node:zlib';

/**
 * The client's half of permessage-deflate, written straight on Node's zlib and independent of
 * the code under test: a deflater that strips the sync-flush trailer and an inflater that puts
 * it back (RFC 7692 §7.2.1, §7.2.2).
 */

export const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

function run(stream: zlib.DeflateRaw | zlib.InflateRaw, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
    };
    const onError = (error: Error): void => {
      stream.off('data', onData);
      reject(error);
    };
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off('data', onData);
      stream.off('error', onError);
      resolve(Buffer.concat(chunks));
    });
  });
}

export class PeerDeflater {
  private stream: zlib.DeflateRaw;
  constructor(
    options: zlib.ZlibOptions = {},
    private readonly takeover = true,
  ) {
    this.stream = zlib.createDeflateRaw(options);
  }

  /** One message's payload: deflated, trailer removed. */
  async compress(message: Buffer): Promise<Buffer> {
    const out = await run(this.stream, message);
    if (!this.takeover) this.stream.reset();
    if (!out.subarray(-4).equals(TRAILER)) throw new Error('sync flush did not end with the trailer');
    return out.subarray(0, out.length - 4);
  }

  close(): void {
    this.stream.close();
  }
}

export class PeerInflater {
  private readonly stream: zlib.InflateRaw;
  constructor(
    options: zlib.ZlibOptions = {},
    private readonly takeover = true,
  ) {
    this.stream = zlib.createInflateRaw(options);
  }

  /** One compressed message's payload, trailer appended back, inflated. */
  async decompress(payload: Buffer): Promise<Buffer> {
    const out = await run(this.stream, Buffer.concat([payload, TRAILER]));
    if (!this.takeover) this.stream.reset();
    return out;
  }

  close(): void {
    this.stream.close();
  }
}

/** Compressible text-like data of `length` bytes, different for each seed. */
export function sample(length: number, seed = 1): Buffer {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
  const out = Buffer.allocUnsafe(length);
  let x = Math.imul(seed, 2654435761) >>> 0;
  let i = 0;
  while (i < length) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const word = `${words[x % words.length]}${(x >>> 8) % 100} `;
    i += out.write(word, i, 'latin1');
  }
  return out;
}

/**
 * A decompression bomb: the payload of one compressed message that inflates to `mebibytes` MiB
 * of zeros. DEFLATE caps the ratio near 1032:1 (RFC 1951: a 258-byte match costs at least two
 * bits), so 1 GiB takes about 1 MiB on the wire. A sync-flushed segment made only of
 * back-references to zeros decodes the same way wherever zeros precede it, so it is made once
 * and repeated: building a 1 GiB bomb costs two 1 MiB compressions, not 1 GiB of work.
 */
export async function buildBomb(mebibytes: number): Promise<Buffer> {
  const deflater = new PeerDeflater({ level: 9 });
  const zeros = Buffer.alloc(1 << 20);
  const prime = await deflater.compress(zeros);
  const steady = await deflater.compress(zeros);
  deflater.close();
  const parts: Buffer[] = [prime];
  for (let i = 1; i < mebibytes; i++) parts.push(TRAILER, steady);
  return Buffer.concat(parts);
}
