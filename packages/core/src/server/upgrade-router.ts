import type { IncomingMessage } from 'node:http';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Duplex } from 'node:stream';
import { Rejections } from '../handshake/rejections';
import { isHttp2Server, listenForWebSocketStreams } from './h2-attach';
import { refuseStream } from './h2-upgrade';
import type { AttachableServer } from './options';
import { pathOf } from './path';
import { abort } from './reject';

/** What the router needs of a WebSocket server attached to an HTTP server. */
export interface UpgradeTarget {
  readonly path: string | undefined;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void;
}

/**
 * One `upgrade` listener per HTTP server, shared by every WebSocket server attached to it, so
 * several can serve different paths on one port and a path none of them serves gets a 404.
 * On an `Http2SecureServer`, the WebSocket streams (RFC 8441) are routed the same way.
 */
class UpgradeRouter {
  private readonly targets: UpgradeTarget[] = [];
  private readonly listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.route(request, socket, head);

  private readonly stopStreams: (() => void) | undefined;

  constructor(private readonly httpServer: AttachableServer) {
    httpServer.on('upgrade', this.listener);
    if (isHttp2Server(httpServer)) {
      this.stopStreams = listenForWebSocketStreams(httpServer, (stream, headers) => this.routeStream(stream, headers));
    }
  }

  add(target: UpgradeTarget): void {
    if (this.targets.some((existing) => existing.path === target.path)) {
      throw new Error(`a WebSocket server already serves ${target.path ?? 'every path'} on this HTTP server`);
    }
    this.targets.push(target);
  }

  /** Returns true when no target is left (the router is then detached). */
  remove(target: UpgradeTarget): boolean {
    const index = this.targets.indexOf(target);
    if (index >= 0) this.targets.splice(index, 1);
    if (this.targets.length > 0) return false;
    this.httpServer.removeListener('upgrade', this.listener);
    this.stopStreams?.();
    return true;
  }

  private route(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = pathOf(request.url);
    const target = this.targetFor(path);
    if (target !== undefined) target.handleUpgrade(request, socket, head);
    else abort(socket, Rejections.notFound());
  }

  private routeStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const path = pathOf(headers[':path']);
    const target = this.targetFor(path);
    if (target !== undefined) target.handleStream(stream, headers);
    else refuseStream(stream, Rejections.notFound());
  }

  private targetFor(path: string): UpgradeTarget | undefined {
    return (
      this.targets.find((candidate) => candidate.path === path) ??
      this.targets.find((candidate) => candidate.path === undefined)
    );
  }
}

const routers = new WeakMap<AttachableServer, UpgradeRouter>();

export function attachToHttpServer(httpServer: AttachableServer, target: UpgradeTarget): void {
  let router = routers.get(httpServer);
  if (router === undefined) {
    router = new UpgradeRouter(httpServer);
    routers.set(httpServer, router);
  }
  router.add(target);
}

export function detachFromHttpServer(httpServer: AttachableServer, target: UpgradeTarget): void {
  const router = routers.get(httpServer);
  if (router !== undefined && router.remove(target)) routers.delete(httpServer);
}
