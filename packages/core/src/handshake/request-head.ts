import type { HandshakeRejection } from './handshake';

/**
 * An HTTP/1.x request head (RFC 9112 §2-5) as a standalone server reads it before the upgrade:
 * the request line and the header fields, strictly. Anything outside the grammar is refused
 * with 400 rather than guessed at, the way a WebSocket handshake has no use for leniency: a
 * line ending that is not CRLF, whitespace before a colon, a folded line (obs-fold), a control
 * character, a request target or method that is not visible ASCII.
 */
export interface RequestHead {
  readonly method: string;
  /** The request target as sent (`/chat?room=1`). */
  readonly url: string;
  readonly httpVersionMajor: number;
  readonly httpVersionMinor: number;
  /** Names as sent and values without surrounding whitespace, alternating (Node's `rawHeaders`). */
  readonly rawHeaders: string[];
}

/** Request line and header fields together, as Node's own `maxHeaderSize` (16 KiB). */
export const REQUEST_HEAD_LIMIT = 16 * 1024;
/** Header fields in one head, as Node's `maxHeadersCount`; Node drops the rest, this refuses with 431. */
export const REQUEST_FIELDS_LIMIT = 2000;

const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) HTTP\/(\d)\.(\d)$/;
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible characters, obs-text (as Latin-1), space and tab: no CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const malformed = (message: string): HandshakeRejection => ({ status: 400, message });

/** The head's bytes, CRLF-terminated lines up to (not including) the blank line, as Latin-1. */
export function parseRequestHead(text: string): RequestHead | HandshakeRejection {
  // A server SHOULD ignore a CRLF before the request line (RFC 9112 §2.2), as Node does.
  const lines = (text.startsWith('\r\n') ? text.slice(2) : text).split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0]);
  if (requestLine === null) return malformed('Malformed HTTP request line');
  // HTTP/1.x of any minor version reads as 1.1 would (RFC 9112 §2.3); another major is not ours.
  if (requestLine[3] !== '1') return { status: 505, message: 'Only HTTP/1.1 upgrades to a WebSocket here' };
  if (lines.length - 1 > REQUEST_FIELDS_LIMIT) {
    return { status: 431, message: `The request has over ${REQUEST_FIELDS_LIMIT} header fields` };
  }
  const rawHeaders: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon <= 0) return malformed('Malformed HTTP header line');
    const name = line.slice(0, colon);
    if (!FIELD_NAME.test(name)) return malformed('Malformed HTTP header name');
    const value = line.slice(colon + 1);
    if (!FIELD_VALUE.test(value)) return malformed('Malformed HTTP header value');
    rawHeaders.push(name, ownString(trimWhitespace(value)));
  }
  return {
    method: requestLine[1],
    url: ownString(requestLine[2]),
    httpVersionMajor: Number(requestLine[3]),
    httpVersionMinor: Number(requestLine[4]),
    rawHeaders,
  };
}

/**
 * `text` as a string of its own. V8 makes a substring of 13 characters or more a view of the
 * string it was cut from, so a request target or header value kept for a connection's life
 * (`connection.url`, a user agent an application stores) would keep the whole request head
 * alive: 722 B per connection for a 41-character target, against 91 B. A rope of it, sliced,
 * is flattened into a fresh copy, which is all the result holds. Node's HTTP parser makes
 * every value a string of its own, too.
 */
function ownString(text: string): string {
  return text.length < 13 ? text : (' ' + text).slice(1);
}

/** Without leading and trailing spaces and tabs (OWS), nothing else (String#trim takes more). */
function trimWhitespace(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/** A request head read whole: its lines as Latin-1, and the bytes after it (the first frames). */
export interface ReadHead {
  readonly text: string;
  readonly rest: Buffer;
}

const HEAD_END = '\r\n\r\n';

/**
 * Collects a request head from socket chunks until its blank line. Most heads come in one
 * chunk and are read where they lie; one that trickles in is copied into a buffer that grows
 * by doubling (a byte at a time costs linear copying, and a client holds only about twice what
 * it sent), never past `REQUEST_HEAD_LIMIT`: past it, 431.
 */
export class RequestHeadReader {
  private held: Buffer | null = null;
  private length = 0;

  /** True while nothing has been received. */
  get isEmpty(): boolean {
    return this.held === null;
  }

  /** The head once complete, null while it is not, or the rejection that ends the request. */
  push(chunk: Buffer): ReadHead | HandshakeRejection | null {
    if (this.held === null) {
      const end = chunk.indexOf(HEAD_END, 0, 'latin1');
      if (end !== -1) return end + 4 <= REQUEST_HEAD_LIMIT ? headAt(chunk, end, chunk, end + 4) : tooLarge();
      if (chunk.length >= REQUEST_HEAD_LIMIT) return tooLarge();
      this.held = Buffer.allocUnsafe(Math.min(REQUEST_HEAD_LIMIT, Math.max(256, chunk.length * 2)));
      this.length = chunk.copy(this.held, 0);
      return null;
    }
    const before = this.length;
    const take = Math.min(chunk.length, REQUEST_HEAD_LIMIT - before);
    if (before + take > this.held.length) {
      const grown = Buffer.allocUnsafe(Math.min(REQUEST_HEAD_LIMIT, Math.max(this.held.length * 2, before + take)));
      this.held.copy(grown, 0, 0, before);
      this.held = grown;
    }
    this.length = before + chunk.copy(this.held, before, 0, take);
    // The blank line may straddle the chunks: search from 3 bytes before the new ones.
    const end = this.held.subarray(0, this.length).indexOf(HEAD_END, Math.max(0, before - 3), 'latin1');
    if (end !== -1) return headAt(this.held, end, chunk, end + 4 - before);
    return this.length >= REQUEST_HEAD_LIMIT ? tooLarge() : null;
  }
}

function headAt(bytes: Buffer, end: number, chunk: Buffer, restStart: number): ReadHead {
  return {
    text: bytes.toString('latin1', 0, end),
    rest: restStart >= chunk.length ? EMPTY : chunk.subarray(restStart),
  };
}

const EMPTY = Buffer.alloc(0);

function tooLarge(): HandshakeRejection {
  return { status: 431, message: `The request head is over ${REQUEST_HEAD_LIMIT} bytes` };
}
