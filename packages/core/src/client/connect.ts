import * as net from 'node:net';
import * as tls from 'node:tls';
import { ExtensionChain } from '../extension/chain';
import { Connection } from '../server/connection';
import { destroySocket } from '../server/socket-binding';
import { CLIENT_OWNER } from './client-owner';
import { type HandshakeRequest, buildRequest, createKey, validateResponse } from './client-handshake';
import { HandshakeError } from './handshake-error';
import { type ClientOptions, type ResolvedClientOptions, resolveClientOptions } from './options';
import { type ResponseHead, ResponseHeadReader } from './response-head';
import { type Target, parseTarget, redirectTarget, serverName } from './target';

/**
 * Opens a WebSocket connection (RFC 6455 §4.1) to a `ws:`, `wss:` or `ws+unix:` URL. Resolves,
 * once the server's 101 passed every check, with a {@link Connection} in the client role: the
 * same events and methods as a server's connection; its frames are masked, and after the
 * closing handshake it waits for the server to close TCP.
 *
 * Rejects with a {@link HandshakeError} (its `code` and message name the broken rule) when the
 * answer is not a valid upgrade, on `handshakeTimeout` or an aborted `signal`; with Node's own
 * error when the connection fails (ECONNREFUSED, a TLS certificate error); with a TypeError or
 * RangeError for a bad URL or option.
 *
 * @example
 * ```ts
 * const connection = await connect('wss://example.com/chat', { protocols: ['chat.v2'] });
 * connection.on('message', (data) => console.log(data));
 * connection.send('hello');
 * ```
 */
export function connect(url: string | URL, options: ClientOptions = {}): Promise<Connection> {
  return new Promise((resolve, reject) => {
    let resolved: ResolvedClientOptions;
    let target: Target;
    try {
      resolved = resolveClientOptions(options);
      target = parseTarget(url, resolved.socketPath);
    } catch (error) {
      reject(error instanceof Error ? error : new TypeError(String(error)));
      return;
    }
    new OpeningHandshake(resolved, resolve, reject).start(target);
  });
}

/** One `connect()` call: a socket per attempt (redirects start another), one timer for all. */
class OpeningHandshake {
  private socket: net.Socket | null = null;
  private reader = new ResponseHeadReader();
  private request: HandshakeRequest | null = null;
  private target: Target | null = null;
  private redirects = 0;
  /** The user's headers; credentials among them are dropped on a redirect to another host. */
  private headers: readonly (readonly [string, string])[];
  private settled = false;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = (): void =>
    this.fail(new HandshakeError('ERR_WS_ABORTED', 'connect() was aborted (signal)'));
  private readonly onData = (chunk: Buffer): void => this.receive(chunk);
  private readonly onError = (error: Error): void => this.fail(error);
  private readonly onClose = (): void =>
    this.fail(
      new HandshakeError('ERR_WS_RESPONSE', 'the server closed the connection before the handshake response ended'),
    );

  constructor(
    private readonly options: ResolvedClientOptions,
    private readonly resolve: (connection: Connection) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.headers = options.headers;
    this.timer = setTimeout(() => {
      this.fail(
        new HandshakeError(
          'ERR_WS_TIMEOUT',
          `no handshake response within ${options.handshakeTimeout} ms (handshakeTimeout)`,
        ),
      );
    }, options.handshakeTimeout);
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) queueMicrotask(this.onAbort);
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  start(target: Target): void {
    if (this.settled) return;
    this.target = target;
    this.reader = new ResponseHeadReader();
    const request: HandshakeRequest = {
      path: target.path,
      host: target.host,
      key: createKey(),
      protocols: this.options.protocols,
      extensions: this.options.extensions,
      origin: this.options.origin,
      headers: this.requestHeaders(target),
    };
    this.request = request;
    let text: string;
    try {
      text = buildRequest(request); // runs each extension's offer()
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    const socket = this.openSocket(target);
    this.socket = socket;
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.write(text); // queued until connected
  }

  private openSocket(target: Target): net.Socket {
    const where =
      target.socketPath !== undefined ? { path: target.socketPath } : { host: target.hostname, port: target.port };
    if (!target.secure) return net.connect(where);
    return tls.connect({ servername: serverName(target), ...this.options.tls, ...where });
  }

  /** User headers, plus `Authorization: Basic` from URL credentials when the user gave none. */
  private requestHeaders(target: Target): readonly (readonly [string, string])[] {
    const headers = this.headers;
    if (target.credentials === undefined || headers.some(([name]) => name.toLowerCase() === 'authorization')) {
      return headers;
    }
    return [...headers, ['Authorization', `Basic ${Buffer.from(target.credentials).toString('base64')}`]];
  }

  private receive(chunk: Buffer): void {
    let answer: { head: ResponseHead; rest: Buffer } | null;
    try {
      answer = this.reader.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (answer === null) return;
    const { head, rest } = answer;
    if (isRedirect(head.status) && head.headers.has('location')) this.redirect(head);
    else this.open(head, rest);
  }

  private redirect(head: ResponseHead): void {
    const location = head.headers.get('location')![0];
    if (!this.options.followRedirects) {
      this.fail(
        new HandshakeError(
          'ERR_WS_STATUS',
          `server answered ${head.status} (redirect to ${location}), not 101; set followRedirects to follow it`,
          head.status,
        ),
      );
      return;
    }
    if (++this.redirects > this.options.maxRedirects) {
      this.fail(
        new HandshakeError(
          'ERR_WS_REDIRECT',
          `more than ${this.options.maxRedirects} redirects (maxRedirects)`,
          head.status,
        ),
      );
      return;
    }
    let next: Target;
    try {
      next = redirectTarget(location, this.target!);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (next.url.host !== this.target!.url.host || next.socketPath !== this.target!.socketPath) {
      // Credentials meant for one host must not follow a redirect to another.
      this.headers = this.headers.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
    }
    this.dropSocket();
    this.start(next);
  }

  private open(head: ResponseHead, rest: Buffer): void {
    const socket = this.socket!;
    const options = this.options;
    let connection: Connection;
    try {
      const result = validateResponse(head, this.request!);
      const codecs = result.accepted.map(({ acceptance }) =>
        acceptance.createCodec({ maxPayload: options.maxPayload }),
      );
      // Held until the caller has its listeners on (below): nothing may be read past the 101 yet.
      socket.pause();
      this.detach(socket);
      connection = new Connection({
        socket,
        role: 'client',
        owner: CLIENT_OWNER,
        protocol: result.protocol,
        extensions: result.extensions,
        extensionChain: codecs.length === 0 ? null : new ExtensionChain(codecs),
        allowedRsv: result.rsv,
        maxPayload: options.maxPayload,
        maxFrameSize: options.maxFrameSize,
        closeTimeout: options.closeTimeout,
        backpressure: options.backpressure,
      });
    } catch (error) {
      this.fail(
        error instanceof HandshakeError
          ? error
          : new HandshakeError('ERR_WS_EXTENSION', `extension setup failed: ${(error as Error).message}`),
      );
      return;
    }
    this.settle();
    this.resolve(connection);
    // The code awaiting connect() runs first (a microtask); then frames that came right behind
    // the 101, then the rest of the stream, in order.
    setImmediate(startReading, connection, socket, rest);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settle();
    this.dropSocket();
    this.reject(error);
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this.onAbort);
  }

  private detach(socket: net.Socket): void {
    socket.removeListener('data', this.onData);
    socket.removeListener('error', this.onError);
    socket.removeListener('close', this.onClose);
  }

  private dropSocket(): void {
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    this.detach(socket);
    socket.on('error', ignore); // a late ECONNRESET from a socket we gave up on
    destroySocket(socket);
  }
}

const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie']);

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function ignore(): void {}

function startReading(connection: Connection, socket: net.Socket, head: Buffer): void {
  connection.start(head);
  if (!socket.destroyed) socket.resume();
}
