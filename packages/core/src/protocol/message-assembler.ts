import { isUtf8 } from 'node:buffer';
import { WebSocketError } from './errors';
import { Utf8Validator } from './utf8';

/**
 * Joins the (decoded) fragments of one data message, checks its size after extensions have
 * decoded it, and validates text as UTF-8: whole messages with the native `isUtf8`, fragmented
 * ones incrementally so the first invalid byte fails even when a code point spans fragments.
 */
export class MessageAssembler {
  private readonly maxPayload: number;
  /** Made on the first fragmented text message. */
  private utf8: Utf8Validator | null = null;
  private readonly fragments: Buffer[] = [];
  private length = 0;

  constructor(maxPayload: number) {
    this.maxPayload = maxPayload;
  }

  /**
   * Adds a fragment. Returns the error to fail with, or null. When `fin` is set and there was
   * no error, the message is ready in `take()`.
   */
  add(fragment: Buffer, isText: boolean, fin: boolean): WebSocketError | null {
    this.length += fragment.length;
    if (this.maxPayload > 0 && this.length > this.maxPayload) {
      this.reset();
      return new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', `message over ${this.maxPayload} bytes`);
    }
    if (fin && this.fragments.length === 0) {
      if (isText && !isUtf8(fragment)) {
        this.reset();
        return invalidUtf8();
      }
      this.fragments.push(fragment);
      return null;
    }
    if (isText && !this.validateFragment(fragment, fin)) {
      this.reset();
      return invalidUtf8();
    }
    if (fragment.length > 0 || this.fragments.length === 0) this.fragments.push(fragment);
    return null;
  }

  /** The whole message; resets for the next one. */
  take(): Buffer {
    const fragments = this.fragments;
    const message = fragments.length === 1 ? fragments[0] : Buffer.concat(fragments, this.length);
    this.reset();
    return message;
  }

  reset(): void {
    this.fragments.length = 0;
    this.length = 0;
    this.utf8?.reset();
  }

  private validateFragment(fragment: Buffer, fin: boolean): boolean {
    const utf8 = (this.utf8 ??= new Utf8Validator());
    return utf8.update(fragment) && (!fin || utf8.isComplete());
  }
}

function invalidUtf8(): WebSocketError {
  return new WebSocketError('WS_ERR_INVALID_UTF8', 'text is not valid UTF-8');
}
