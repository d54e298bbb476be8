import { isAscii } from 'node:buffer';

/**
 * Strings to and from UTF-8 by the fastest routes Node 20 has (measured on 1 MiB of ASCII):
 *
 *   decode  toString('utf8') 0.8 ms   | isAscii 0.01 ms + toString('latin1') 0.2 ms (a copy)
 *   length  Buffer.byteLength 0.01 ms on a flat heap string in optimised code, but 0.2-0.3 ms
 *           on the external strings Node makes above about 1 MB, or from unoptimised code
 *   encode  Buffer.from 0.25 ms       | byteLength + write(…, 'utf8') 0.06 ms | 'latin1' 0.02 ms
 *
 * ASCII is its own Latin-1, and a string as long in UTF-8 as in UTF-16 units is ASCII (every
 * other unit takes 2 bytes or more), so both directions take the Latin-1 copy when they can.
 *
 * A large message is most often sent back or forwarded as it came, so the last large string
 * decoded is remembered with the bytes it came from (validated UTF-8 decodes and encodes back
 * to exactly those bytes): sending that string writes them again, with no length pass and no
 * encode (`receivedBytesOf`). A string measured for backpressure is remembered by its length
 * alone, for the writer that follows. One string process-wide, let go when the `receive` call
 * that decoded it returns (`forgetText`), so nothing large outlives its message.
 *
 * Large ASCII text up to `ROPE_MAX` that came in several socket chunks is not copied into a
 * Buffer of its own at all: it is decoded from the chunks where it was unmasked, and remembered
 * with them (`receivedPiecesOf`), so sending it back writes those chunks again.
 */

/** Below this many UTF-16 units, measuring is cheap and not worth remembering. */
const REMEMBER_MIN = 64 * 1024;

/** Slices of large ASCII: below V8's large-object size, so they are young heap strings. */
const ASCII_SLICE = 64 * 1024;
/** The largest ASCII text decoded as a rope, and so the largest decoded from its chunks (`decodeAsciiPieces`). */
export const ROPE_MAX = 2 * 1024 * 1024;

let remembered: string | null = null;
let rememberedLength = 0;
/** The bytes `remembered` was decoded from, or null when it was only measured. */
let rememberedBytes: Buffer | null = null;
/** Or the chunks it was decoded from, in order (`decodeAsciiPieces`). */
let rememberedPieces: readonly Buffer[] | null = null;

/**
 * Buffer's own Latin-1 copies, which `toString` and `write` reach through argument checks and
 * an encoding lookup (64 B: 130 against 200 ns to write, 125 against 145 ns to decode). Not
 * in Node's typings, so checked for once; `toString`/`write` when missing.
 */
type Latin1Buffer = Buffer & {
  latin1Slice?(start: number, end: number): string;
  latin1Write?(text: string, offset: number, length: number): number;
};
const LATIN1_DIRECT =
  typeof (Buffer.prototype as Latin1Buffer).latin1Slice === 'function' &&
  typeof (Buffer.prototype as Latin1Buffer).latin1Write === 'function';

/** The last small ASCII message decoded: sent back, its UTF-8 length is its length. */
let decodedAscii: string | null = null;

/** `bytes[start, end)`, known to be ASCII, as a string (small messages only: no rope). */
export function decodeAsciiAt(bytes: Buffer, start: number, end: number): string {
  const text = LATIN1_DIRECT ? (bytes as Latin1Buffer).latin1Slice!(start, end) : bytes.toString('latin1', start, end);
  decodedAscii = text;
  return text;
}

/** Decodes validated UTF-8; `ascii` says it is already known to be ASCII. */
export function decodeText(bytes: Buffer, ascii: boolean): string {
  const text = ascii || isAscii(bytes) ? decodeAscii(bytes) : bytes.toString('utf8');
  if (text.length >= REMEMBER_MIN) remember(text, bytes.length, bytes);
  return text;
}

/**
 * Large ASCII up to `ROPE_MAX` is decoded in slices joined into a rope: each slice is an
 * ordinary young heap string, where one string of over about 1 MB is an external one,
 * allocated and copied outside V8's heap (1 MiB echo: 1598 -> 1357 us of server CPU). Past
 * `ROPE_MAX` the scavenger's copying of megabytes of young strings costs more than that
 * (16 MiB echo: 23.4 ms external, 32.4 ms as a rope). A reader flattens the rope once; a
 * message sent back as it came never is (`receivedBytesOf` compares by identity).
 */
function decodeAscii(bytes: Buffer): string {
  const length = bytes.length;
  if (length <= ASCII_SLICE || length > ROPE_MAX) return bytes.toString('latin1');
  let text = bytes.toString('latin1', 0, ASCII_SLICE);
  for (let start = ASCII_SLICE; start < length; start += ASCII_SLICE) {
    text += bytes.toString('latin1', start, Math.min(start + ASCII_SLICE, length));
  }
  return text;
}

/**
 * ASCII text held as `pieces` of received chunks (`length` bytes in all, at most `ROPE_MAX`),
 * as a rope of young heap strings (see `decodeAscii`), remembered with the pieces.
 */
export function decodeAsciiPieces(pieces: readonly Buffer[], length: number): string {
  let text = '';
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    for (let start = 0; start < piece.length; start += ASCII_SLICE) {
      text += piece.toString('latin1', start, Math.min(start + ASCII_SLICE, piece.length));
    }
  }
  remember(text, length, null);
  rememberedPieces = pieces;
  return text;
}

/** The chunks a large received text was decoded from (`decodeAsciiPieces`), when `text` is that text, else null. */
export function receivedPiecesOf(text: string): readonly Buffer[] | null {
  return rememberedPieces !== null && remembered === text ? rememberedPieces : null;
}

/** The UTF-8 length of `text` (lone surrogates count as the 3 bytes of U+FFFD, as `write` does). */
export function utf8Length(text: string): number {
  if (text === decodedAscii) return text.length; // an echo: no pass over it (64 B: 50 ns)
  if (text.length < REMEMBER_MIN) return Buffer.byteLength(text);
  // The same string is one pointer comparison; an equal one, a compare that is still cheaper.
  if (remembered === text) return rememberedLength;
  const length = Buffer.byteLength(text);
  remember(text, length, null);
  return length;
}

/**
 * The bytes a large received message was decoded from, when `text` is that message, else
 * null. They are the parser's own (never handed to the application in string mode) and must
 * only be written as they are, never changed: an extension codec may not get them.
 */
export function receivedBytesOf(text: string): Buffer | null {
  return rememberedBytes !== null && text.length >= REMEMBER_MIN && remembered === text ? rememberedBytes : null;
}

/** Writes `text`, whose UTF-8 length is `length` (from `utf8Length`), at `offset`. */
export function writeUtf8(target: Buffer, offset: number, text: string, length: number): void {
  if (length !== text.length) target.write(text, offset, length, 'utf8');
  else if (LATIN1_DIRECT) (target as Latin1Buffer).latin1Write!(text, offset, length);
  else target.write(text, offset, length, 'latin1');
}

/**
 * The bytes of the text message handed to the application just now (`textMessages: 'buffer'`),
 * validated already: sending them back as text needs no second `isUtf8` pass (1.3 us per 64 KiB,
 * 15 us per MiB). Let go with the remembered string.
 */
let validText: Buffer | null = null;

export function rememberValidText(bytes: Buffer): void {
  validText = bytes;
}

/** True when `bytes` is the text message just received (see `rememberValidText`). */
export function isReceivedText(bytes: Buffer): boolean {
  return bytes === validText;
}

/** Lets go of the remembered string (at the end of each `Protocol.receive`). */
export function forgetText(): void {
  decodedAscii = null;
  remembered = null;
  rememberedBytes = null;
  rememberedPieces = null;
  validText = null;
}

function remember(text: string, length: number, bytes: Buffer | null): void {
  remembered = text;
  rememberedLength = length;
  rememberedBytes = bytes;
  rememberedPieces = null;
}
