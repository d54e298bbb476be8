/**
 * Per-test HTTP/2 servers and client sessions with guaranteed cleanup, as `useHarness()` does
 * for HTTP/1.1. One self-signed certificate for 127.0.0.1 serves the whole file.
 *
 *   const h2 = useH2Harness();
 *   const { port, server } = await h2.server({ path: '/ws' });
 *   const client = await openH2(await h2.session(port), { path: '/ws' });
 */
import * as http2 from 'node:http2';
import type { ServerOptions } from '@ws/core';
import { Server } from '@ws/core';
import { withTimeout } from './events';
import { h2Connect } from './h2-client';
import { type ObservedServer, observe, portOf } from './harness';
import { selfSignedCertificate } from './tls-cert';

export interface H2Setup {
  /** Serve HTTP/1.1 (and its upgrades) on the same port too. Default false. */
  allowHTTP1?: boolean;
  /** The application's own compat-API handler for ordinary requests. */
  onRequest?: (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void;
  /** The server's own HTTP/2 settings. */
  settings?: http2.Settings;
}

export interface H2Started extends ObservedServer {
  httpServer: http2.Http2SecureServer;
  port: number;
}

export class H2Harness {
  readonly tls = selfSignedCertificate();
  private readonly sessions = new Set<http2.ClientHttp2Session>();
  private readonly servers = new Set<Server>();
  private readonly httpServers = new Set<http2.Http2SecureServer>();
  private readonly serverSessions = new Set<http2.ServerHttp2Session>();

  /** An `Http2SecureServer` on 127.0.0.1, port 0. */
  async http2(setup: H2Setup = {}): Promise<{ httpServer: http2.Http2SecureServer; port: number }> {
    const httpServer = http2.createSecureServer({
      ...this.tls,
      allowHTTP1: setup.allowHTTP1 ?? false,
      settings: setup.settings,
    });
    if (setup.onRequest !== undefined) httpServer.on('request', setup.onRequest);
    httpServer.on('session', (session) => {
      this.serverSessions.add(session);
      session.once('close', () => this.serverSessions.delete(session));
    });
    this.httpServers.add(httpServer);
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    return { httpServer, port: portOf(httpServer.address()) };
  }

  /** A core `Server` attached to a fresh `Http2SecureServer`, with its events recorded. */
  async server(
    options: Omit<ServerOptions, 'server' | 'port' | 'noServer'> = {},
    setup: H2Setup = {},
  ): Promise<H2Started> {
    const { httpServer, port } = await this.http2(setup);
    const server = this.adopt(new Server({ ...options, server: httpServer }));
    return { ...observe(server), httpServer, port };
  }

  adopt(server: Server): Server {
    this.servers.add(server);
    server.once('shutdown', () => this.servers.delete(server));
    return server;
  }

  async session(port: number): Promise<http2.ClientHttp2Session> {
    const session = await h2Connect(port, this.tls.cert);
    this.sessions.add(session);
    return session;
  }

  async cleanup(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    await Promise.all(
      [...this.servers].map((server) => withTimeout(server.close(), 2000, 'server.close').catch(() => undefined)),
    );
    for (const session of this.serverSessions) session.destroy();
    await Promise.all(
      [...this.httpServers].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    this.sessions.clear();
    this.servers.clear();
    this.httpServers.clear();
  }
}

export function useH2Harness(): H2Harness {
  const harness = new H2Harness();
  afterEach(() => harness.cleanup());
  return harness;
}
