import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import EventEmitter from 'eventemitter3';
import { ExtensionChain } from '../extension/chain';
import type { ExtensionCodec } from '../extension/extension';
import type { ValidUpgrade } from '../handshake/handshake';
import { negotiateExtensions } from '../handshake/negotiate';
import { Rejections } from '../handshake/rejections';
import { selectSubprotocol } from '../handshake/select-subprotocol';
import { CloseCode } from '../protocol/constants';
import { AcceptFailureWarning, isAcceptError } from './accept-errors';
import { Connection, type ConnectionOwner, type SendData, type SendOptions } from './connection';
import type { ServerEvents } from './events';
import { PreparedMessage, fanOut } from './fan-out';
import { type ResolvedOptions, type ServerOptions, resolveOptions } from './options';
import { HandshakeDeadlines } from './handshake-deadlines';
import { performStreamUpgrade } from './h2-upgrade';
import { IdleTimeout } from './idle-timeout';
import { closePlugins, type PluginInstance } from './plugin';
import { PubSub, type PublishOptions } from './pub-sub';
import { destroyOnError } from './reject';
import { StandaloneHttpServer, type StandaloneHost } from './standalone';
import { type HandshakeTransport, type UpgradeRequest, socketTransport } from './transport';
import { type EstablishedCallback, type PendingHandshake, performUpgrade, type UpgradeHost } from './upgrade';
import { attachToHttpServer, detachFromHttpServer } from './upgrade-router';
import { soleMessageListener } from './hears-messages';

/** Options of {@link Server.broadcast}: those of `send`, and who receives it. */
export interface BroadcastOptions extends SendOptions {
  /** Only connections for which this returns true receive the message. */
  filter?: (connection: Connection) => boolean;
  /** A connection to leave out (typically the sender). */
  except?: Connection;
}

const enum State {
  Running,
  Closing,
  Closed,
}

/**
 * A WebSocket server: standalone (`port`), attached to an HTTP(S) server (`server`), or fed by
 * hand (`noServer` + `handleUpgrade`). It tracks open connections, relays their events, and
 * drives plugins through the server's life.
 */
export class Server extends EventEmitter<ServerEvents> implements ConnectionOwner, UpgradeHost, StandaloneHost {
  /** The open connections. */
  readonly clients = new Set<Connection>();
  /** @internal */
  readonly options: ResolvedOptions;

  private state = State.Running;
  private readonly standalone: StandaloneHttpServer | null = null;
  private httpServerClosed = true;
  private readonly plugins: PluginInstance[] = [];
  private readonly pendingHandshakes = new Set<PendingHandshake>();
  private readonly maxPayloadForCodecs: number;
  /** @internal */
  readonly handshakeDeadlines: HandshakeDeadlines;
  private pluginsClosing = false;
  private shutdownPromise: Promise<void> | null = null;
  private resolveShutdown: (() => void) | null = null;
  private readonly pubSub = new PubSub(this, this.plugins);
  private readonly acceptFailureWarning = new AcceptFailureWarning();
  /** @internal */
  readonly subscriptions = this.pubSub.registry;

  constructor(options: ServerOptions, onListening?: () => void) {
    super();
    this.options = resolveOptions(options);
    const { maxPayload } = this.options;
    this.maxPayloadForCodecs = Number.isFinite(maxPayload) ? maxPayload : 0;
    this.handshakeDeadlines = new HandshakeDeadlines(this.options.handshakeTimeout);
    if (this.options.idleTimeout > 0) this.plugins.push(new IdleTimeout(this.options.idleTimeout));

    if (this.options.port !== undefined) {
      this.standalone = new StandaloneHttpServer(this, { ...this.options, port: this.options.port });
      this.httpServerClosed = false;
      if (onListening !== undefined) this.standalone.netServer.once('listening', onListening);
    } else if (this.options.server !== undefined) {
      attachToHttpServer(this.options.server, this);
    }
    for (const plugin of this.options.plugins) this.plugins.push(plugin.attach(this));
  }

  /** The path this server serves, if restricted. */
  get path(): string | undefined {
    return this.options.path;
  }

  /** Standalone mode: the bound address. */
  address(): AddressInfo | string | null {
    return this.standalone?.netServer.address() ?? this.options.server?.address() ?? null;
  }

  /**
   * Performs the handshake for an upgrade request (no-server mode, or called by the HTTP
   * server this one is attached to). `callback` runs with the new connection before the
   * `connection` event.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback?: EstablishedCallback): void {
    performUpgrade(this, request, socket, head, callback);
  }

  /**
   * The HTTP/2 counterpart of `handleUpgrade` (RFC 8441), for a framework that owns the
   * `Http2SecureServer`: give it a stream whose headers are an extended CONNECT with
   * `:protocol websocket` (the server's `stream` event). It answers `:status 200` and opens the
   * connection on the stream, or refuses with an HTTP/2 error status.
   */
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, callback?: EstablishedCallback): void {
    performStreamUpgrade(this, stream, headers, callback);
  }

  /**
   * Sends one message to every open client (or those `filter` admits, less `except`). The
   * frames are built once and the same bytes written to each; a connection whose extensions
   * transform messages (compression) encodes its own copy. Each connection applies its own
   * backpressure limit: one that is full has the message dropped (and, by default, is closed),
   * and the loop goes on to the others. Local to this process (a `filter` cannot travel):
   * `publish` is what crosses processes.
   */
  broadcast(data: SendData, options: BroadcastOptions = {}): void {
    const message = new PreparedMessage(data, options, this.options.maxFrameSize);
    fanOut(message, this.clients, options.except, options.filter);
  }

  /**
   * Sends one message to this process's subscribers of `topic` (framed once, like `broadcast`;
   * `except` skips one), then hands it to each plugin's `onPublish`, so that a pub/sub adapter
   * carries it to the other processes. `publish` is the cross-process primitive; `broadcast`
   * stays in this process.
   */
  publish(topic: string, data: SendData, options: PublishOptions = {}): void {
    this.pubSub.publish(topic, data, options);
  }

  /** Delivers to this process's subscribers only, without `onPublish`: how an adapter delivers what other processes published. */
  publishLocal(topic: string, data: SendData, options: PublishOptions = {}): void {
    this.pubSub.publishLocal(topic, data, options);
  }

  /** The number of this process's connections subscribed to `topic`. */
  subscriberCount(topic: string): number {
    return this.subscriptions.subscriberCount(topic);
  }

  /** The topics that have at least one subscriber in this process. */
  topics(): IterableIterator<string> {
    return this.subscriptions.topics();
  }

  /**
   * Closes every client with 1001 (going away) after the messages already sent to it, refuses
   * new and pending handshakes with 503, stops listening (standalone), and stops plugins. The
   * promise resolves (and `callback` runs, and `shutdown` fires) once every connection is gone
   * (closed, or destroyed at `closeTimeout`) and every plugin's `close()` has settled.
   */
  close(callback?: () => void): Promise<void> {
    if (callback !== undefined) {
      if (this.state === State.Closed) process.nextTick(callback);
      else this.once('shutdown', callback);
    }
    this.shutdownPromise ??= new Promise<void>((resolve) => (this.resolveShutdown = resolve));
    if (this.state !== State.Running) return this.shutdownPromise;
    this.state = State.Closing;
    const pluginsClosed = closePlugins(this.plugins, (error) => this.emit('error', error));
    if (pluginsClosed !== null) {
      this.pluginsClosing = true;
      void pluginsClosed.then(() => {
        this.pluginsClosing = false;
        this.maybeFinishShutdown();
      });
    }
    if (this.standalone !== null) {
      this.standalone.close(() => {
        this.httpServerClosed = true;
        this.maybeFinishShutdown();
      });
    }
    for (const handshake of [...this.pendingHandshakes]) handshake.cancel(Rejections.shuttingDown());
    for (const connection of this.clients) connection.close(CloseCode.GoingAway, 'Server shutting down');
    this.maybeFinishShutdown();
    return this.shutdownPromise;
  }

  // ---- UpgradeHost -----------------------------------------------------------------------

  /** @internal */
  get isAccepting(): boolean {
    return this.state === State.Running;
  }

  /** @internal */
  get connectionCount(): number {
    return this.clients.size + this.pendingHandshakes.size;
  }

  /** @internal */
  establish(
    request: UpgradeRequest,
    socket: Duplex,
    head: Buffer,
    upgrade: ValidUpgrade,
    callback?: EstablishedCallback,
    transport: HandshakeTransport = socketTransport,
  ): void {
    if (socket.destroyed || !socket.writable) {
      socket.destroy();
      return;
    }
    const options = this.options;
    const protocol = selectSubprotocol(options.protocols, upgrade.protocols, request);
    const negotiation = negotiateExtensions(options.extensions, upgrade.extensionOffers);
    let chain: ExtensionChain | null = null;
    if (negotiation.accepted.length > 0) {
      const codecs: ExtensionCodec[] = [];
      try {
        const context = { maxPayload: this.maxPayloadForCodecs };
        for (const { acceptance } of negotiation.accepted) codecs.push(acceptance.createCodec(context));
      } catch (error) {
        new ExtensionChain(codecs).dispose(); // the codecs made before the failing one
        transport.refuse(socket, Rejections.internalError());
        this.onHandshakeError(error);
        return;
      }
      chain = new ExtensionChain(codecs);
    }
    const headers = transport.acceptLines(upgrade, protocol, negotiation.header);
    this.emit('headers', headers, request);
    transport.accept(socket, headers);
    (socket as Partial<Socket>).setTimeout?.(0);

    const connection = new Connection({
      socket,
      url: request.url ?? '',
      transport: transport.kind,
      remoteAddress: transport.remoteAddress?.(socket),
      owner: this,
      protocol,
      extensions: negotiation.header,
      extensionChain: chain,
      allowedRsv: negotiation.rsv,
      maxPayload: options.maxPayload,
      maxFrameSize: options.maxFrameSize,
      textAsBuffer: options.textAsBuffer,
      closeTimeout: options.closeTimeout,
      backpressure: options.backpressure,
    });
    // Only now that the connection listens: removing a socket's last listener of an event
    // deletes the key, and a deletion turns its `_events` into a dictionary (about 800 B more
    // per connection). No removeAllListeners either: it turns Node's shape mode off for good.
    this.handshakeDeadlines.release(socket);
    socket.removeListener('error', destroyOnError);
    this.clients.add(connection);
    try {
      for (const plugin of this.plugins) plugin.onConnection?.(connection);
      callback?.(connection, request);
      this.emit('connection', connection, request);
    } finally {
      // Even when a listener threw: bytes that came with the request must not be lost.
      connection.start(head);
    }
  }

  /** @internal */
  addPendingHandshake(handshake: PendingHandshake): void {
    this.pendingHandshakes.add(handshake);
  }

  /** @internal */
  removePendingHandshake(handshake: PendingHandshake): void {
    this.pendingHandshakes.delete(handshake);
    this.maybeFinishShutdown();
  }

  /** @internal */
  onHandshakeError(error: unknown): void {
    this.emit('error', error instanceof Error ? error : new Error(String(error)));
  }

  // ---- ConnectionOwner -------------------------------------------------------------------

  /** @internal */
  onConnectionMessage(connection: Connection, data: string | Buffer, isBinary: boolean): void {
    const listener = soleMessageListener(this);
    if (listener !== null) listener.fn.call(listener.context, data, connection, isBinary);
    else this.emit('message', data, connection, isBinary);
  }

  /** @internal */
  onConnectionPing(connection: Connection, payload: Buffer): void {
    this.emit('ping', connection, payload);
  }

  /** @internal */
  onConnectionPong(connection: Connection, payload: Buffer): void {
    this.emit('pong', connection, payload);
  }

  /** @internal */
  onConnectionError(connection: Connection, error: Error): void {
    this.emit('error', error, connection);
  }

  /** @internal */
  onConnectionDropped(connection: Connection, byteLength: number): void {
    this.emit('dropped', connection, byteLength);
  }

  /** @internal */
  forgetConnection(connection: Connection): void {
    this.clients.delete(connection);
    this.subscriptions.removeSubscriber(connection); // onTopicClose for topics left empty
  }

  /** @internal */
  onConnectionClose(connection: Connection, code: number, reason: string, wasClean: boolean): void {
    try {
      this.emit('close', connection, code, reason, wasClean);
      for (const plugin of this.plugins) plugin.onDisconnect?.(connection, code, reason);
    } finally {
      // A throwing listener must not keep `close()` from finishing.
      this.maybeFinishShutdown();
    }
  }

  // ---- standalone mode -------------------------------------------------------------------

  /** @internal */
  onListening(): void {
    this.emit('listening');
  }

  /**
   * @internal Server-level errors must not pass unnoticed. Without a listener, a listen error (a
   * port in use) throws; a failed accept only warns, once (accept-errors.ts).
   */
  onHttpError(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else if (isAcceptError(error)) this.acceptFailureWarning.warn(error);
    else throw error;
  }

  private maybeFinishShutdown(): void {
    if (this.state !== State.Closing) return;
    if (this.clients.size > 0 || this.pendingHandshakes.size > 0 || !this.httpServerClosed) return;
    if (this.pluginsClosing) return;
    this.state = State.Closed;
    // Attached: detached only now, so upgrades that come while clients close still get 503.
    if (this.options.server !== undefined) detachFromHttpServer(this.options.server, this);
    this.resolveShutdown?.();
    this.emit('shutdown');
  }
}
