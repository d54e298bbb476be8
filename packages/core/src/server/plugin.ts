import type { Connection } from './connection';
import type { Server } from './server';

/**
 * A plugin attaches to a server's life: timers and policies (heartbeat, idle timeout, pub/sub
 * adapters) that sit above the protocol and use only the public API. `new Server({ plugins })`
 * calls `attach` once per server, in the order configured; the instance it returns receives the
 * server's lifecycle.
 */
export interface Plugin {
  /** A short name, for error messages. */
  readonly name: string;
  /** Called once per server, from its constructor: start what this plugin does for `server`. */
  attach(server: Server): PluginInstance;
}

/** The per-server side of a plugin. Every hook is optional. */
export interface PluginInstance {
  /** A connection is established (before the server's `connection` event). */
  onConnection?(connection: Connection): void;
  /** A connection has closed (after its `close` event). */
  onDisconnect?(connection: Connection, code: number, reason: string): void;
  /** The server is closing: stop timers and release everything. Called once. */
  close?(): void;
}
