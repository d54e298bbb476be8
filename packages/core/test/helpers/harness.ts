/**
 * Per-test resources with guaranteed cleanup. `useHarness()` registers an `afterEach` that
 * destroys every socket and client a test opened and closes every server it started, so jest
 * exits with no open handles even when a test fails halfway.
 *
 *   const h = useHarness();
 *   it('…', async () => {
 *     const { server, port, url } = await h.server({ maxPayload: 10 });
 *     const client = await h.ws(url);
 *     const raw = await h.raw(port);
 *   });
 */
import * as http from 'node:http';
import type * as https from 'node:https';
import type * as net from 'node:net';
import type WebSocket from 'ws';
import { Server, type Connection, type ServerOptions, type UpgradeRequest } from '@ws/core';
import { Recorder, withTimeout } from './events';
import { rawRequest, type RawResponse } from './raw-http';
import { openRaw, type RawClient, type RawOpenOptions } from './raw-ws-client';
import { connectWs, type WsClient } from './ws-client';

export type { ServerOptions };

/** A connection, the request it was opened with (connections do not keep it), and its events. */
export interface ObservedConnection {
  connection: Connection;
  request: UpgradeRequest;
  events: Recorder;
}

/** A server with every event recorded, and each connection's events recorded from its start. */
export interface ObservedServer {
  server: Server;
  events: Recorder;
  /** The `index`-th connection (0-based), its upgrade request and its recorded events, now or when it opens. */
  connection(index?: number): Promise<ObservedConnection>;
}

export interface StartedServer extends ObservedServer {
  port: number;
  url: string;
}

const SERVER_EVENTS = ['listening', 'connection', 'message', 'close', 'ping', 'pong', 'error', 'shutdown'];
const CONNECTION_EVENTS = ['message', 'closing', 'close', 'ping', 'pong', 'error', 'drain'];

/** Records a server's events; each connection's recorder is attached inside the `connection` event. */
export function observe(server: Server): ObservedServer {
  const connections: ObservedConnection[] = [];
  // Attached before the recorder below, so a connection's own recorder exists by the time a test
  // hears of it.
  server.on('connection', (connection: Connection, request: UpgradeRequest) => {
    connections.push({ connection, request, events: new Recorder(connection, CONNECTION_EVENTS) });
  });
  const events = new Recorder(server, SERVER_EVENTS);
  return {
    server,
    events,
    async connection(index = 0) {
      await events.nth('connection', index);
      return connections[index];
    },
  };
}

/** The port a listening server is bound to. */
export function portOf(address: ReturnType<http.Server['address']>): number {
  if (address === null || typeof address === 'string') throw new Error(`not a TCP address: ${String(address)}`);
  return address.port;
}

export class Harness {
  private readonly sockets = new Set<net.Socket>();
  private readonly clients = new Set<WsClient>();
  private readonly servers = new Set<Server>();
  private readonly httpServers = new Set<http.Server | https.Server>();

  readonly trackSocket = (socket: net.Socket): void => {
    this.sockets.add(socket);
  };

  readonly trackClient = (client: WsClient): void => {
    this.clients.add(client);
  };

  /** A standalone server on 127.0.0.1, port 0; resolves once `listening` fired. */
  async server(options: ServerOptions = {}): Promise<StartedServer> {
    const server = this.adopt(new Server({ host: '127.0.0.1', port: 0, ...options }));
    const observed = observe(server);
    await observed.events.nth('listening');
    const port = portOf(server.address());
    return { ...observed, port, url: `ws://127.0.0.1:${port}` };
  }

  /** Registers a server made by the test itself (attached or noServer mode). */
  adopt(server: Server): Server {
    this.servers.add(server);
    // A server the test already closed needs no second close.
    server.once('shutdown', () => this.servers.delete(server));
    return server;
  }

  /** An `http.Server` listening on 127.0.0.1, port 0. */
  async httpServer(server: http.Server = http.createServer()): Promise<{ httpServer: http.Server; port: number }> {
    this.httpServers.add(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { httpServer: server, port: portOf(server.address()) };
  }

  /** Registers an http/https server the test started itself. */
  adoptHttp(server: http.Server | https.Server): void {
    this.httpServers.add(server);
  }

  ws(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions): Promise<WsClient> {
    return connectWs(url, protocols, options, this.trackClient);
  }

  raw(port: number, options: RawOpenOptions = {}): Promise<RawClient> {
    return openRaw(port, { ...options, track: this.trackSocket });
  }

  request(port: number, request: string | Buffer): Promise<RawResponse> {
    return rawRequest(port, request, this.trackSocket);
  }

  async cleanup(): Promise<void> {
    for (const client of this.clients) client.ws.terminate();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      [...this.servers].map((server) => withTimeout(server.close(), 2000, 'server.close').catch(() => undefined)),
    );
    await Promise.all(
      [...this.httpServers].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            if (!server.listening) resolve();
            else server.close(() => resolve());
          }),
      ),
    );
    this.clients.clear();
    this.sockets.clear();
    this.servers.clear();
    this.httpServers.clear();
  }
}

/** A harness whose resources are released after each test. */
export function useHarness(): Harness {
  const harness = new Harness();
  afterEach(() => harness.cleanup());
  return harness;
}
