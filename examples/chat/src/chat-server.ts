import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Server } from '@ws/core';
import { deflate } from '@ws/deflate';
import { heartbeat } from '@ws/heartbeat';
import { DEFAULT_LIMITS, type ChatLimits } from './chat-protocol';
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
}

export interface ChatHandle {
  /** The page's address, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** The WebSocket endpoint, e.g. `ws://127.0.0.1:8080/chat`. */
  readonly wsUrl: string;
  readonly port: number;
  /** Closes every connection with 1001 (going away) and stops listening. */
  close(): Promise<void>;
}

/** `src/` under ts-jest and `dist/` once built both sit next to `public/`. */
const PUBLIC_DIR = join(__dirname, '..', 'public');

/**
 * The page and the WebSocket endpoint on one port: an ordinary `http` server answers GET for the
 * page, and a core `Server` attached to it takes the upgrades on `/chat`.
 */
export async function startChat(options: ChatOptions = {}): Promise<ChatHandle> {
  const host = options.host ?? '127.0.0.1';
  const limits: ChatLimits = { ...DEFAULT_LIMITS, ...options.limits };

  const httpServer = createServer(createStaticHandler(PUBLIC_DIR));
  const wsServer = new Server({
    server: httpServer,
    path: '/chat',
    maxPayload: limits.payload,
    extensions: [deflate()],
    plugins: [heartbeat({ interval: options.heartbeatInterval ?? 30_000 })],
  });
  const room = new ChatRoom(wsServer, {
    limits,
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 50,
    maxBytesPerSecond: options.maxBytesPerSecond ?? 8 * 1024 * 1024,
  });
  const log = options.log;
  // A failing connection is already closed by core with the right close code, and the room hears
  // its `close`: errors are only worth a log line here.
  wsServer.on('error', (error) => log?.(`error: ${error.message}`));
  if (log !== undefined) {
    wsServer.on('connection', (connection) => log(`open ${connection.remoteAddress ?? '?'} ${connection.extensions}`));
    wsServer.on('close', (connection, code, reason) => log(`closed ${connection.remoteAddress ?? '?'} ${code} ${reason}`));
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 8080, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });

  const { port } = httpServer.address() as AddressInfo;
  const origin = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${origin}/`,
    wsUrl: `ws://${origin}/chat`,
    port,
    close() {
      closed ??= (async () => {
        room.shutDown();
        await wsServer.close();
        await new Promise<void>((resolve) => {
          httpServer.close(() => resolve());
          // Browsers keep idle HTTP connections open; without this, close() waits for them.
          httpServer.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
