/**
 * The chat's wire format, kept apart from sockets so every rule is a table test.
 *
 *   client → server (text frames, JSON)       server → client (text frames, JSON)
 *   { type: 'join', name }                     { type: 'welcome', id, users, limits, extensions, server }
 *   { type: 'leave' }                          { type: 'join' | 'leave', user, at }
 *   { type: 'message', text }                  { type: 'message', seq, user, text, at }
 *   binary frame (after joining)               { type: 'binary', seq, user, size, at } + the bytes
 *                                              { type: 'error', code, message }
 *
 * The client is the page we serve, but anything may connect: every field is checked for type
 * and size, and the name a client claims is used for display only. Identity is the `id` the
 * server assigns on connection.
 */

import { CloseCode } from '@ws/core';

/** Limits sent to the page in `welcome`, so it can refuse oversized input before sending. */
export interface ChatLimits {
  /** Longest display name, in UTF-16 code units after trimming. */
  readonly name: number;
  /** Longest chat message, in UTF-16 code units. */
  readonly text: number;
  /** Largest binary message, in bytes. */
  readonly binary: number;
  /** The server's `maxPayload`: any frame sequence larger than this closes with 1009. */
  readonly payload: number;
}

export const DEFAULT_LIMITS: ChatLimits = {
  name: 32,
  text: 1024 * 1024,
  binary: 2 * 1024 * 1024,
  // Room for a full-size text in any script once JSON-escaped, but still a hard bound.
  payload: 4 * 1024 * 1024,
};

export type ClientMessage =
  | { readonly type: 'join'; readonly name: string }
  | { readonly type: 'leave' }
  | { readonly type: 'message'; readonly text: string };

/** Errors a well-behaved page can cause (the user typed something too long): answered, not fatal. */
export type ChatErrorCode = 'invalid-name' | 'empty-message' | 'too-long' | 'not-joined' | 'already-joined';

export type ParseResult =
  | { readonly kind: 'ok'; readonly message: ClientMessage }
  /** Answer with `{ type: 'error' }` and keep the connection. */
  | { readonly kind: 'error'; readonly code: ChatErrorCode; readonly message: string }
  /** Not something our page sends: close the connection with this code. */
  | { readonly kind: 'close'; readonly closeCode: number; readonly reason: string };

// C0, DEL and C1 controls, plus line and paragraph separators: names are one line of plain text.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const EXPECTED_KEYS: Record<ClientMessage['type'], readonly string[]> = {
  join: ['type', 'name'],
  leave: ['type'],
  message: ['type', 'text'],
};

function close(closeCode: number, reason: string): ParseResult {
  return { kind: 'close', closeCode, reason };
}

function error(code: ChatErrorCode, message: string): ParseResult {
  return { kind: 'error', code, message };
}

/**
 * Checks one text message from a client. Text that is not JSON is data this endpoint cannot
 * accept (RFC 6455 §7.4.1, 1003); JSON of the wrong shape breaks the chat's policy (1008).
 */
export function parseClientMessage(text: string, limits: ChatLimits = DEFAULT_LIMITS): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return close(CloseCode.UnsupportedData, 'expected JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return close(CloseCode.PolicyViolation, 'expected a JSON object');
  }
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (type !== 'join' && type !== 'leave' && type !== 'message') {
    return close(CloseCode.PolicyViolation, 'unknown message type');
  }
  const keys = Object.keys(record);
  const expected = EXPECTED_KEYS[type];
  if (keys.length !== expected.length || !keys.every((key) => expected.includes(key))) {
    return close(CloseCode.PolicyViolation, `unexpected fields in ${type}`);
  }

  switch (type) {
    case 'join': {
      if (typeof record.name !== 'string') return close(CloseCode.PolicyViolation, 'name must be a string');
      const name = record.name.trim();
      if (name.length === 0 || name.length > limits.name || CONTROL_CHARACTERS.test(name)) {
        return error('invalid-name', `a name is 1 to ${limits.name} characters of one line of text`);
      }
      return { kind: 'ok', message: { type, name } };
    }
    case 'leave':
      return { kind: 'ok', message: { type } };
    case 'message': {
      if (typeof record.text !== 'string') return close(CloseCode.PolicyViolation, 'text must be a string');
      const text = record.text;
      if (text.length > limits.text) return error('too-long', `a message is at most ${limits.text} characters`);
      if (text.trim().length === 0) return error('empty-message', 'a message needs some text');
      return { kind: 'ok', message: { type, text } };
    }
  }
}

/** The server process a page is connected to, shown on the page (several serve one room in examples/cluster). */
export interface ServerIdentity {
  /** A label such as `chat` or `worker 2`. */
  readonly name: string;
  readonly pid: number;
}

/** A participant as the server announces it: `id` is the server's, `name` is for display. */
export interface ChatUser {
  readonly id: number;
  readonly name: string;
}

export type ServerEvent =
  | {
      readonly type: 'welcome';
      readonly id: number;
      readonly users: readonly ChatUser[];
      readonly limits: ChatLimits;
      readonly extensions: string;
      readonly server: ServerIdentity;
    }
  | { readonly type: 'join'; readonly user: ChatUser; readonly at: number }
  | { readonly type: 'leave'; readonly user: ChatUser; readonly at: number }
  | {
      readonly type: 'message';
      readonly seq: number;
      readonly user: ChatUser;
      readonly text: string;
      readonly at: number;
    }
  | {
      readonly type: 'binary';
      readonly seq: number;
      readonly user: ChatUser;
      readonly size: number;
      readonly at: number;
    }
  | { readonly type: 'error'; readonly code: ChatErrorCode; readonly message: string };
