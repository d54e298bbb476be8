/**
 * A WebSocket client over HTTP/2 (RFC 8441) with Node's own `http2` client: it opens an
 * extended CONNECT stream (`:method CONNECT`, `:protocol websocket`), then speaks hand-built
 * RFC 6455 frames over it through `RawClient` (see raw-ws-client.ts), as a browser would.
 *
 *   const session = await h2Connect(port, cert);
 *   const client = await openH2(session, { path: '/chat' });
 *   client.send(text('hi'));
 */
import * as http2 from 'node:http2';
import { DEFAULT_WAIT_MS, withTimeout } from './events';
import { RawClient } from './raw-ws-client';

/** Connects over TLS (the certificate is checked against `ca`) and waits for the server's SETTINGS. */
export async function h2Connect(port: number, ca: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca });
  session.on('error', () => undefined); // a test that destroys the session looks at its streams instead
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      session.once('remoteSettings', () => resolve());
      session.once('close', () => reject(new Error('session closed before SETTINGS')));
    }),
    DEFAULT_WAIT_MS,
    'the server SETTINGS',
  );
  return session;
}

/** Header overrides: a string replaces or adds, `null` removes. */
export type H2HeaderOverrides = Record<string, string | null>;

export interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  stream: http2.ClientHttp2Stream;
}

/** The extended CONNECT of RFC 8441 §4, with `overrides` applied. */
export function connectHeaders(path = '/', overrides: H2HeaderOverrides = {}): http2.OutgoingHttpHeaders {
  const headers: Record<string, string> = {
    ':method': 'CONNECT',
    ':protocol': 'websocket',
    ':scheme': 'https',
    ':path': path,
    'sec-websocket-version': '13',
  };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  return headers;
}

/** Sends a request on the session and waits for the response headers. */
export async function h2Request(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  ms = DEFAULT_WAIT_MS,
): Promise<H2Answer> {
  const stream = session.request(headers, { endStream: false });
  stream.on('error', () => undefined); // resets are what some tests look for
  const answer = new Promise<H2Answer>((resolve, reject) => {
    stream.once('response', (responseHeaders) =>
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, stream }),
    );
    stream.once('close', () =>
      reject(new Error(`stream closed without a response (RST_STREAM code ${stream.rstCode})`)),
    );
  });
  return withTimeout(answer, ms, 'the response headers');
}

/** The rest of a response's body, as text. */
export async function bodyOf(stream: http2.ClientHttp2Stream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface H2OpenOptions {
  path?: string;
  headers?: H2HeaderOverrides;
  /** Answer the server's close frame with a close frame (RFC 6455 §5.5.1). Default true. */
  echoClose?: boolean;
}

export interface H2Client extends RawClient<http2.ClientHttp2Stream> {
  readonly stream: http2.ClientHttp2Stream;
  readonly responseHeaders: http2.IncomingHttpHeaders;
}

/** Opens a WebSocket on a new stream; throws unless the server answers `:status 200`. */
export async function openH2(session: http2.ClientHttp2Session, options: H2OpenOptions = {}): Promise<H2Client> {
  const answer = await h2Request(session, connectHeaders(options.path, options.headers));
  if (answer.status !== 200) {
    answer.stream.destroy();
    throw new Error(`extended CONNECT refused: ${answer.status}`);
  }
  const closed = new Promise<void>((resolve) => answer.stream.once('close', resolve));
  // Once the server ends its side, end ours too, as browsers do: the stream then closes.
  answer.stream.once('end', () => answer.stream.end());
  const client = new RawClient(answer.stream, { rest: Buffer.alloc(0), closed }, options.echoClose ?? true);
  return Object.assign(client, { stream: answer.stream, responseHeaders: answer.headers });
}
