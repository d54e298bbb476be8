import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import EventEmitter from 'eventemitter3';
import { ExtensionChain } from '../extension/chain';
import type { ExtensionCodec } from '../extension/extension';
import { type ValidUpgrade, acceptHeaders, acceptResponse } from '../handshake/handshake';
import { negotiateExtensions } from '../handshake/negotiate';
import { Rejections } from '../handshake/rejections';
import { selectSubprotocol } from '../handshake/select-subprotocol';
import { CloseCode, Opcode } from '../protocol/constants';
import { FrameCollector, writeMessage } from '../protocol/frame-writer';
import { Connection, type ConnectionOwner, type SendData, type SendOptions } from './connection';
import type { ServerEvents } from './events';
import { type ResolvedOptions, type ServerOptions, resolveOptions } from './options';
import { HandshakeDeadlines } from './handshake-deadlines';
import { IdleTimeout } from './idle-timeout';
import { closePlugins, type PluginInstance } from './plugin';
import { abort, destroyOnError } from './reject';
import { StandaloneHttpServer, type StandaloneHost } from './standalone';
import { toBuffer } from './to-buffer';
import { type EstablishedCallback, type PendingHandshake, performUpgrade, type UpgradeHost } from './upgrade';
import { attachToHttpServer, detachFromHttpServer } from './upgrade-router';

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
      if (onListening !== undefined) this.standalone.httpServer.once('listening', onListening);
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
    return this.standalone?.httpServer.address() ?? this.options.server?.address() ?? null;
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
   * Sends one message to every open client (or those `filter` admits, less `except`). The
   * frames are built once and the same bytes written to each; a connection whose extensions
   * transform messages (compression) encodes its own copy. Each connection applies its own
   * backpressure limit: one that is full has the message dropped (and, by default, is closed),
   * and the loop goes on to the others.
   */
  broadcast(data: SendData, options: BroadcastOptions = {}): void {
    const payload = typeof data === 'string' ? Buffer.from(data, 'utf8') : toBuffer(data);
    const binary = options.binary ?? typeof data !== 'string';
    const sendOptions: SendOptions = { binary, compress: options.compress };
    let frames: Buffer[] | null = null;
    for (const connection of this.clients) {
      if (!connection.isOpen || connection === options.except) continue;
      if (options.filter !== undefined && !options.filter(connection)) continue;
      if (!connection.acceptsRawFrames) {
        connection.send(payload, sendOptions);
        continue;
      }
      if (frames === null) {
        const collector = new FrameCollector();
        writeMessage(collector, binary ? Opcode.Binary : Opcode.Text, payload, 0, this.options.maxFrameSize);
        frames = collector.chunks;
      }
      connection.sendFrames(frames);
    }
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
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    upgrade: ValidUpgrade,
    callback?: EstablishedCallback,
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
        abort(socket, Rejections.internalError());
        this.onHandshakeError(error);
        return;
      }
      chain = new ExtensionChain(codecs);
    }
    const headers = acceptHeaders(upgrade.key, protocol, negotiation.header);
    this.emit('headers', headers, request);
    socket.write(acceptResponse(headers));
    this.handshakeDeadlines.release(socket);
    (socket as Partial<Socket>).setTimeout?.(0);
    socket.removeAllListeners('timeout');
    socket.removeListener('error', destroyOnError);

    const connection = new Connection({
      socket,
      request,
      owner: this,
      protocol,
      extensions: negotiation.header,
      extensionChain: chain,
      allowedRsv: negotiation.rsv,
      maxPayload: options.maxPayload,
      maxFrameSize: options.maxFrameSize,
      closeTimeout: options.closeTimeout,
      backpressure: options.backpressure,
    });
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
    this.emit('message', data, connection, isBinary);
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

  /** @internal Server-level errors (a port in use) must not pass unnoticed: without a listener, throw. */
  onHttpError(error: Error): void {
    if (this.listenerCount('error') === 0) throw error;
    this.emit('error', error);
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

