/** Socket chunks below this size are copied into a shared block rather than queued as they are. */
const SMALL_CHUNK = 1024;
const BLOCK_SIZE = 16 * 1024;

/**
 * The bytes a parser has received and not yet consumed, as the socket's chunks: read a byte at a
 * time for headers, or a run of bytes as a view (one copy only when it spans chunks).
 */
export class ChunkQueue {
  /** @internal The queued chunks, oldest first; the first one is consumed up to `offset`. */
  readonly chunks: Buffer[] = [];
  /** @internal */
  offset = 0;
  /** Bytes queued and not yet read. */
  length = 0;
  // A block that small chunks are packed into; `blockView` is its filled part, kept as the last
  // entry of `chunks`. A peer trickling a large frame a byte per packet would otherwise cost a
  // queued Buffer (about 100 bytes) per byte.
  private block: Buffer | null = null;
  private blockView: Buffer | null = null;
  private blockStart = 0;
  private blockUsed = 0;

  push(chunk: Buffer): void {
    if (chunk.length < SMALL_CHUNK && this.chunks.length > 0) this.appendToBlock(chunk);
    else this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Drops everything queued. */
  clear(): void {
    this.chunks.length = 0;
    this.length = 0;
    this.offset = 0;
    this.block = null;
    this.blockView = null;
  }

  readByte(): number {
    const chunk = this.chunks[0];
    const byte = chunk[this.offset++];
    this.length--;
    if (this.offset === chunk.length) {
      this.chunks.shift();
      this.offset = 0;
    }
    return byte;
  }

  /** Four bytes as a big-endian uint32. */
  readUint32(): number {
    return ((this.readByte() << 24) | (this.readByte() << 16) | (this.readByte() << 8) | this.readByte()) >>> 0;
  }

  /** The next `length` bytes: a view when they sit in one chunk; one copy when they span several. */
  read(length: number): Buffer {
    this.length -= length;
    const first = this.chunks[0];
    const available = first.length - this.offset;
    if (length <= available) {
      const view = first.subarray(this.offset, this.offset + length);
      if (length === available) {
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += length;
      }
      return view;
    }
    const payload = Buffer.allocUnsafe(length);
    let written = 0;
    while (written < length) {
      const chunk = this.chunks[0];
      const take = Math.min(chunk.length - this.offset, length - written);
      chunk.copy(payload, written, this.offset, this.offset + take);
      written += take;
      this.offset += take;
      if (this.offset === chunk.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
    return payload;
  }

  private appendToBlock(chunk: Buffer): void {
    const last = this.chunks.length - 1;
    const block = this.block;
    if (block !== null && this.chunks[last] === this.blockView && this.blockUsed + chunk.length <= block.length) {
      // Only bytes past `blockUsed` are written: views already handed out stay intact.
      chunk.copy(block, this.blockUsed);
      this.blockUsed += chunk.length;
      this.blockView = block.subarray(this.blockStart, this.blockUsed);
      this.chunks[last] = this.blockView;
      return;
    }
    const fresh = Buffer.allocUnsafe(BLOCK_SIZE);
    chunk.copy(fresh, 0);
    this.block = fresh;
    this.blockStart = 0;
    this.blockUsed = chunk.length;
    this.blockView = fresh.subarray(0, chunk.length);
    this.chunks.push(this.blockView);
  }
}
