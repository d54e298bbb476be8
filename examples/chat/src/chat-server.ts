import { createServer } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { Server, type Plugin } from '@ws/core';
import { deflate } from '@ws/deflate';
import { heartbeat } from '@ws/heartbeat';
import { DEFAULT_LIMITS, type ChatLimits, type ServerIdentity } from './chat-protocol';
import { ChatRoom } from './chat-room';
import { createStaticHandler } from './static-files';

export interface ChatOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; `0` picks a free one. Default `8080`. */
  port?: number;
  /** Milliseconds between heartbeat pings. Default `30000`. */
  heartbeatInterval?: number;
  /** Overrides of the room's limits (see `DEFAULT_LIMITS`). */
  limits?: Partial<ChatLimits>;
  /** Messages one connection may send per second before it is closed with 1008. Default `50`. */
  maxMessagesPerSecond?: number;
  /** Bytes one connection may send per second before it is closed with 1008. Default 8 MiB. */
  maxBytesPerSecond?: number;
  /** Receives one line per connection, disconnection and connection error. Default: silent. */
  log?: (line: string) => void;
  /** More plugins after the heartbeat: a pub/sub adapter joins this room to other processes'. */
  plugins?: Plugin[];
  /** This process as the page shows it. Default `{ name: 'chat', pid: process.pid }`. */
  identity?: ServerIdentity;
  /** Participant ids: `first`, `first + step`, … (one `first` per process sharing the room). Default 1, 1. */
  ids?: { first: number; step: number };
  /**
   * Serve over TLS with HTTP/2: the page, its files and the WebSockets (RFC 8441) share one
   * connection; HTTP/1.1 clients are still served on the same port. Default: plain HTTP/1.1.
   */
  tls?: { key: string; cert: string };
}

export interface ChatHandle {
  /** The page's address, e.g. `http://127.0.0.1:8080/` (`https://` with `tls`). */
  readonly url: string;
  /** The WebSocket endpoint, e.g. `ws://127.0.0.1:8080/chat` (`wss://` with `tls`). */
  readonly wsUrl: string;
  readonly port: number;
  /** Closes every connection with 1001 (going away) and stops listening. */
  close(): Promise<void>;
}

/** The one room's topic. */
const ROOM_TOPIC = 'chat';

/** `src/` under ts-jest and `dist/` once built both sit next to `public/`. */
const PUBLIC_DIR = join(__dirname, '..', 'public');

/**
 * The page and the WebSocket endpoint on one port: an ordinary `http` server answers GET for the
 * page, and a core `Server` attached to it takes the upgrades on `/chat`. With `tls`, the server
 * is an `Http2SecureServer` and the same core `Server` also takes WebSockets on HTTP/2 streams.
 */
export async function startChat(options: ChatOptions = {}): Promise<ChatHandle> {
  const host = options.host ?? '127.0.0.1';
  const limits: ChatLimits = { ...DEFAULT_LIMITS, ...options.limits };

  const handler = createStaticHandler(PUBLIC_DIR);
  const httpServer =
    options.tls === undefined
      ? createServer(handler)
      : createSecureServer({ ...options.tls, allowHTTP1: true }, handler);
  const wsServer = new Server({
    server: httpServer,
    path: '/chat',
    maxPayload: limits.payload,
    extensions: [deflate()],
    plugins: [heartbeat({ interval: options.heartbeatInterval ?? 30_000 }), ...(options.plugins ?? [])],
  });
  const room = new ChatRoom(wsServer, {
    limits,
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 50,
    maxBytesPerSecond: options.maxBytesPerSecond ?? 8 * 1024 * 1024,
    topic: ROOM_TOPIC,
    identity: options.identity ?? { name: 'chat', pid: process.pid },
    ids: options.ids ?? { first: 1, step: 1 },
  });
  const log = options.log;
  // A failing connection is already closed by core with the right close code, and the room hears
  // its `close`: errors are only worth a log line here.
  wsServer.on('error', (error) => log?.(`error: ${error.message}`));
  if (log !== undefined) {
    wsServer.on('connection', (connection) =>
      log(`open ${connection.remoteAddress ?? '?'} ${connection.transport} ${connection.extensions}`),
    );
    wsServer.on('close', (connection, code, reason) =>
      log(`closed ${connection.remoteAddress ?? '?'} ${code} ${reason}`),
    );
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 8080, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });

  // An `http.Server` can drop its connections itself; for TLS (HTTP/2 sessions and HTTP/1.1
  // alike) the sockets are tracked here.
  const tlsSockets = new Set<Duplex>();
  httpServer.on('secureConnection', (socket: Duplex) => {
    tlsSockets.add(socket);
    socket.once('close', () => tlsSockets.delete(socket));
  });
  const closeIdleConnections = (): void => {
    if ('closeAllConnections' in httpServer) httpServer.closeAllConnections();
    for (const socket of tlsSockets) socket.destroy();
  };

  const { port } = httpServer.address() as AddressInfo;
  const origin = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const secure = options.tls !== undefined ? 's' : '';
  let closed: Promise<void> | undefined;

  return {
    url: `http${secure}://${origin}/`,
    wsUrl: `ws${secure}://${origin}/chat`,
    port,
    close() {
      closed ??= (async () => {
        room.shutDown();
        await wsServer.close();
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          // Browsers keep idle HTTP connections (and HTTP/2 sessions) open; without this,
          // close() waits for them.
          closeIdleConnections();
        });
      })();
      return closed;
    },
  };
}
