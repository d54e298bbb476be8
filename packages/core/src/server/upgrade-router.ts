import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { Rejections } from '../handshake/rejections';
import { pathOf } from './path';
import { abort } from './reject';

/** What the router needs of a WebSocket server attached to an HTTP server. */
export interface UpgradeTarget {
  readonly path: string | undefined;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/**
 * One `upgrade` listener per HTTP server, shared by every WebSocket server attached to it, so
 * several can serve different paths on one port and a path none of them serves gets a 404.
 */
class UpgradeRouter {
  private readonly targets: UpgradeTarget[] = [];
  private readonly listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void =>
    this.route(request, socket, head);

  constructor(private readonly httpServer: HttpServer) {
    httpServer.on('upgrade', this.listener);
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
    return true;
  }

  private route(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = pathOf(request.url);
    const target =
      this.targets.find((candidate) => candidate.path === path) ??
      this.targets.find((candidate) => candidate.path === undefined);
    if (target !== undefined) {
      target.handleUpgrade(request, socket, head);
      return;
    }
    abort(socket, Rejections.notFound());
  }
}

const routers = new WeakMap<HttpServer, UpgradeRouter>();

export function attachToHttpServer(httpServer: HttpServer, target: UpgradeTarget): void {
  let router = routers.get(httpServer);
  if (router === undefined) {
    router = new UpgradeRouter(httpServer);
    routers.set(httpServer, router);
  }
  router.add(target);
}

export function detachFromHttpServer(httpServer: HttpServer, target: UpgradeTarget): void {
  const router = routers.get(httpServer);
  if (router !== undefined && router.remove(target)) routers.delete(httpServer);
}
