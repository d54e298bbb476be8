import { HEADROOM, HEADROOM_MIN_PAYLOAD } from './headroom';
import { copyUnmasking, rotateMask, unmaskPayloadFrom } from './mask';

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

  /**
   * The chunk that holds all of the next `length` bytes, which are consumed, with `takenAt` set
   * to where they start in it; null, with nothing consumed, when they span chunks. No view is
   * made (a Buffer view costs more than most small frames' other work).
   */
  takeInPlace(length: number): Buffer | null {
    const first = this.chunks[0];
    const start = this.offset;
    const available = first.length - start;
    if (length > available) return null;
    this.length -= length;
    this.takenAt = start;
    this.advance(start, length, available);
    return first;
  }

  /** Where the bytes of the last `takeInPlace` start in the chunk it returned. */
  takenAt = 0;

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

  /**
   * The next `length` bytes as views of the chunks they sit in, in order, consumed: no copy.
   * The views stay valid: chunks are never written again (a block only past what it holds).
   */
  takeViews(length: number): Buffer[] {
    const views: Buffer[] = [];
    this.length -= length;
    while (length > 0) {
      const chunk = this.chunks[0];
      const start = this.offset;
      const available = chunk.length - start;
      const take = Math.min(available, length);
      views.push(start === 0 && take === chunk.length ? chunk : chunk.subarray(start, start + take));
      length -= take;
      this.advance(start, take, available);
    }
    return views;
  }

  /**
   * The next `length` bytes of a large frame (HEADROOM_MIN_PAYLOAD or more; smaller ones are read
   * with `read`), unmasked with the frame's `mask` but for the first `plain` (unmasked in place
   * already): a view unmasked in place when they sit in one chunk, else one copy that unmasks as
   * it goes, with HEADROOM spare bytes in front (see headroom.ts).
   */
  readUnmasked(length: number, mask: number, plain: number): Buffer {
    if (length <= this.chunks[0].length - this.offset) {
      const view = this.read(length);
      unmaskPayloadFrom(view, mask, plain);
      return view;
    }
    const payload = allocWithHeadroom(length);
    this.moveInto(payload, 0, length, mask, plain);
    return payload;
  }

  /**
   * The free bytes `readUnmasked(length, …)` will leave right before what it returns, where the
   * frame header read last took `headerLength` bytes: that header, when it sits in the same
   * chunk just before the payload (bytes further back may be views handed out already).
   */
  headroomBefore(length: number, headerLength: number): number {
    if (length > this.chunks[0].length - this.offset) return length >= HEADROOM_MIN_PAYLOAD ? HEADROOM : 0;
    return this.offset >= headerLength ? headerLength : 0;
  }

  /**
   * Moves the next `length` bytes of a frame's payload into `target`, where they belong from
   * payload byte `at` on, unmasking with the frame's `mask` all but bytes below `plain`.
   */
  moveInto(target: Buffer, at: number, length: number, mask: number, plain: number): void {
    this.length -= length;
    const end = at + length;
    while (at < end) {
      const chunk = this.chunks[0];
      const take = Math.min(chunk.length - this.offset, end - at);
      const piece =
        this.offset === 0 && take === chunk.length ? chunk : chunk.subarray(this.offset, this.offset + take);
      copyUnmasked(piece, target, at, mask, plain);
      at += take;
      this.offset += take;
      if (this.offset === chunk.length) {
        this.chunks.shift();
        this.offset = 0;
      }
    }
  }

  /** Past `taken` bytes from `start` of the first chunk, which had `available` from there: drops it when used up. */
  private advance(start: number, taken: number, available: number): void {
    if (taken === available) {
      this.chunks.shift();
      this.offset = 0;
    } else {
      this.offset = start + taken;
    }
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

/** A Buffer of `length` bytes with HEADROOM spare bytes in front of it. */
export function allocWithHeadroom(length: number): Buffer {
  return Buffer.allocUnsafe(HEADROOM + length).subarray(HEADROOM);
}

/** `piece`, payload bytes from `at` on, into `target` at `at`: bytes below `plain` as they are, the rest unmasked. */
export function copyUnmasked(piece: Buffer, target: Buffer, at: number, mask: number, plain: number): void {
  if (at >= plain) {
    copyUnmasking(piece, rotateMask(mask, at), target, at);
  } else if (at + piece.length <= plain) {
    piece.copy(target, at);
  } else {
    const split = plain - at;
    piece.copy(target, at, 0, split);
    copyUnmasking(piece.subarray(split), rotateMask(mask, plain), target, plain);
  }
}
