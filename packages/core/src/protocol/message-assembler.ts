import { isAscii, isUtf8 } from 'node:buffer';
import { WebSocketError } from './errors';
import { decodeText, rememberValidText } from './text-codec';
import { Utf8Validator } from './utf8';

/** Fragments below this size are copied into shared blocks rather than kept as views. */
const SMALL_FRAGMENT = 4096;
const BLOCK_SIZE = 16 * 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Joins the (decoded) fragments of one data message, checks its size after extensions have
 * decoded it, and validates text as UTF-8: whole messages with the native `isUtf8`, fragmented
 * ones incrementally so the first invalid byte fails even when a code point spans fragments,
 * and a frame still arriving as its bytes come (`checkPartialText`, RFC 6455 §8.1).
 *
 * A view per fragment would cost a hundred times the payload when a peer sends millions of
 * 1-byte fragments, so small fragments are packed into blocks: memory stays near the payload.
 */
export class MessageAssembler {
  private readonly maxPayload: number;
  /** Made on the first text message that arrives in pieces. */
  private utf8: Utf8Validator | null = null;
  private readonly fragments: Buffer[] = [];
  private length = 0;
  private block: Buffer | null = null;
  private blockStart = 0;
  private blockUsed = 0;
  /** The message is known to be ASCII (a one-frame text message checked whole). */
  private ascii = false;
  /** Every byte shown to `checkPartialText` for this message so far was ASCII. */
  private partialAscii = true;

  constructor(maxPayload: number) {
    this.maxPayload = maxPayload;
  }

  /**
   * Validates the first bytes of a text frame that is not complete yet; the frame itself comes
   * later through `add`, with `checked` saying how many of its bytes were seen here.
   */
  checkPartialText(bytes: Buffer): WebSocketError | null {
    // ASCII pieces leave the validator where it was (no code point open): one native pass
    // each, and the decode that follows need not look at the message again.
    if (this.partialAscii && isAscii(bytes)) return null;
    this.partialAscii = false;
    if ((this.utf8 ??= new Utf8Validator()).update(bytes)) return null;
    this.reset();
    return invalidUtf8();
  }

  /** True while every byte shown to `checkPartialText` for this message was ASCII (or none was). */
  get checkedAscii(): boolean {
    return this.partialAscii;
  }

  /**
   * Adds a fragment whose first `checked` bytes already went through `checkPartialText`.
   * Returns the error to fail with, or null. When `fin` is set and there was no error, the
   * message is ready in `take()`.
   */
  add(fragment: Buffer, isText: boolean, fin: boolean, checked = 0): WebSocketError | null {
    this.length += fragment.length;
    if (this.maxPayload > 0 && this.length > this.maxPayload) {
      this.reset();
      return new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', `message over ${this.maxPayload} bytes`);
    }
    if (fin && this.length === fragment.length && this.fragments.length === 0) {
      // The common case: a message in one frame, and most often one that arrived whole. ASCII
      // is valid UTF-8, and knowing it lets `takeText` decode it as Latin-1: a plain copy.
      if (isText && checked === 0) {
        if (isAscii(fragment)) this.ascii = true;
        else if (!isUtf8(fragment)) {
          this.reset();
          return invalidUtf8();
        }
      } else if (isText && this.partialAscii && isAscii(fragment.subarray(checked))) {
        this.ascii = true; // a large frame that arrived in pieces, ASCII throughout
      } else if (isText && !this.validateFragment(fragment, checked, true)) {
        this.reset();
        return invalidUtf8();
      }
      this.fragments.push(fragment);
      return null;
    }
    if (isText && !this.validateFragment(fragment, checked, fin)) {
      this.reset();
      return invalidUtf8();
    }
    if (fragment.length >= SMALL_FRAGMENT) {
      this.sealBlock();
      this.fragments.push(fragment);
    } else if (fragment.length > 0) {
      this.appendToBlock(fragment);
    }
    return null;
  }

  /** The whole message; resets for the next one. */
  take(): Buffer {
    this.sealBlock();
    const fragments = this.fragments;
    const message =
      fragments.length === 0 ? EMPTY : fragments.length === 1 ? fragments[0] : Buffer.concat(fragments, this.length);
    this.reset();
    return message;
  }

  /** The whole (validated) text message as a string (see text-codec.ts); resets for the next one. */
  takeText(): string {
    const ascii = this.ascii;
    return decodeText(this.take(), ascii);
  }

  /** The whole (validated) text message as its bytes, remembered as valid (see text-codec.ts). */
  takeTextBytes(): Buffer {
    const bytes = this.take();
    rememberValidText(bytes);
    return bytes;
  }

  reset(): void {
    this.ascii = false;
    this.partialAscii = true;
    // Most messages are one fragment: pop is cheaper than setting the length (64 B echo: 3%).
    if (this.fragments.length === 1) this.fragments.pop();
    else this.fragments.length = 0;
    this.length = 0;
    this.block = null;
    this.utf8?.reset();
  }

  /** Validates `fragment` from byte `from` on (the bytes before went through `checkPartialText`). */
  private validateFragment(fragment: Buffer, from: number, fin: boolean): boolean {
    const utf8 = (this.utf8 ??= new Utf8Validator());
    return utf8.update(fragment, from) && (!fin || utf8.isComplete());
  }

  private appendToBlock(fragment: Buffer): void {
    if (this.block === null || this.blockUsed + fragment.length > this.block.length) {
      this.sealBlock();
      this.block = Buffer.allocUnsafe(BLOCK_SIZE);
      this.blockStart = 0;
      this.blockUsed = 0;
    }
    fragment.copy(this.block, this.blockUsed);
    this.blockUsed += fragment.length;
  }

  /** Hands the filled part of the block on as one fragment; the rest stays usable. */
  private sealBlock(): void {
    if (this.block === null || this.blockUsed === this.blockStart) return;
    this.fragments.push(this.block.subarray(this.blockStart, this.blockUsed));
    this.blockStart = this.blockUsed;
  }
}

function invalidUtf8(): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_UTF8', 'text is not valid UTF-8');
}
