/**
 * A raw HTTP client for handshake tests: the request goes out as bytes exactly as written (so it
 * can be malformed, half-sent or oddly cased), and the response's status line and headers are
 * parsed by hand.
 */
import * as net from 'node:net';
import { DEFAULT_WAIT_MS, withTimeout } from './events';

/** The example key of RFC 6455 §1.3, and the accept value it must produce. */
export const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

export interface RawResponse {
  status: number;
  statusLine: string;
  /** Lower-cased names; repeated fields joined with ', '. */
  headers: Record<string, string>;
  /** Bytes that came after the header block (frames, or an error body). */
  rest: Buffer;
  socket: net.Socket;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
}

/** Header overrides for `upgradeRequest`: a string replaces or adds, `null` removes. */
export type HeaderOverrides = Record<string, string | null>;

/** A valid RFC 6455 §4.1 opening handshake, with overrides applied in place. */
export function upgradeRequest(options: { path?: string; method?: string; headers?: HeaderOverrides } = {}): string {
  const fields: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': RFC_KEY,
    'Sec-WebSocket-Version': '13',
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const existing = Object.keys(fields).find((key) => key.toLowerCase() === name.toLowerCase());
    if (existing !== undefined) delete fields[existing];
    fields[name] = value;
  }
  const lines = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `${name}: ${value}`);
  return `${options.method ?? 'GET'} ${options.path ?? '/'} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** Opens a TCP connection; the socket is given to `track` so the test can clean it up. */
export function connectTcp(port: number, track?: (socket: net.Socket) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    track?.(socket);
    socket.once('connect', () => {
      socket.off('error', reject);
      // A server that answers and closes may reset our side; tests watch `close`, not errors.
      socket.on('error', () => undefined);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves once the socket is closed (by either side); never rejects. */
export function socketClosed(socket: net.Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/**
 * Reads one HTTP response head from `socket`. Data that follows the head stays in `rest` and,
 * for a 101, is where the server's first frames begin.
 */
export function readResponse(socket: net.Socket, ms = DEFAULT_WAIT_MS): Promise<RawResponse> {
  const closed = socketClosed(socket);
  const head = new Promise<RawResponse>((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const statusLine = lines[0];
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
      }
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      // After a 101 the caller attaches its frame reader; until then hold the bytes. After an
      // error answer let the body flow away so the server's FIN is seen.
      if (status === 101) socket.pause();
      else socket.resume();
      resolve({ status, statusLine, headers, rest: buffered.subarray(end + 4), socket, closed });
    };
    const onClose = (): void =>
      reject(
        new Error(`connection closed before a response head (got ${JSON.stringify(buffered.toString('latin1'))})`),
      );
    socket.on('data', onData);
    socket.once('close', onClose);
  });
  return withTimeout(head, ms, 'HTTP response head');
}

/** Sends `request` (bytes, as is) on a new connection and reads the response head. */
export async function rawRequest(
  port: number,
  request: string | Buffer,
  track?: (socket: net.Socket) => void,
): Promise<RawResponse> {
  const socket = await connectTcp(port, track);
  socket.write(request);
  return readResponse(socket);
}
