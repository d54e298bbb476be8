/**
 * What a stream must lead to, and the check of what was seen against it. The same expectation
 * is checked for the sans-I/O `Protocol` and for a live server over TCP.
 */
import { isValidWireCloseCode } from '@ws/core';
import type { Message } from './streams';

/** The server sent no close frame (the stream ended cleanly, or TCP was reset). */
export const NO_CLOSE = -1;
/** A close frame with no code in it (the echo of an empty one). */
export const EMPTY_CLOSE = 1005;

export interface Expectation {
  /** The kind of mutation, for the summary and for failure messages. */
  readonly label: string;
  /** The server's close outcomes allowed (codes, EMPTY_CLOSE, NO_CLOSE); null: any valid one. */
  readonly closes: readonly number[] | null;
  /** Messages that must be delivered, in order, before anything else. */
  readonly messages: readonly Message[];
  /** Nothing is delivered beyond `messages`. */
  readonly exact: boolean;
}

export interface Observed {
  /** The code of the server's close frame, EMPTY_CLOSE or NO_CLOSE. */
  readonly close: number;
  /** Messages the server delivered, when the run can see them. */
  readonly messages: readonly Message[] | null;
}

/** A close outcome a server may produce at all: a §7.4.1 code it may send, an empty echo, or none. */
export function isValidOutcome(close: number): boolean {
  return close === NO_CLOSE || close === EMPTY_CLOSE || isValidWireCloseCode(close);
}

/** Null when `observed` meets `expect`, else what is wrong. */
export function checkOutcome(expect: Expectation, observed: Observed): string | null {
  if (!isValidOutcome(observed.close)) return `close code ${observed.close} is not one a server may send`;
  if (expect.closes !== null && !expect.closes.includes(observed.close)) {
    return `close ${describe(observed.close)}, expected ${expect.closes.map(describe).join(' or ')}`;
  }
  const seen = observed.messages;
  if (seen === null) return null;
  if (seen.length < expect.messages.length) {
    return `${seen.length} messages delivered, expected at least ${expect.messages.length}`;
  }
  for (let i = 0; i < expect.messages.length; i++) {
    const want = expect.messages[i];
    if (seen[i].binary !== want.binary || !seen[i].data.equals(want.data)) return `message ${i} differs`;
  }
  if (expect.exact && seen.length !== expect.messages.length) {
    return `${seen.length} messages delivered, expected exactly ${expect.messages.length}`;
  }
  return null;
}

export function describe(close: number): string {
  if (close === NO_CLOSE) return 'none';
  if (close === EMPTY_CLOSE) return 'empty';
  return String(close);
}
