import { Connection } from '@ws/core';
import type { Heartbeat } from './heartbeat';

/**
 * One connection kept alive without a server (`heartbeat().watch(connection)`): a client's,
 * typically. A server's heartbeat hears pongs through the server's events; a watched
 * connection has no server, so the watch listens on the connection itself and hands what it
 * hears to the plugin's shared heartbeat. The listeners are module-level functions with the
 * watch as their context: no closure per connection.
 */
export class HeartbeatWatch {
  /** The connection being kept alive. */
  readonly connection: Connection;
  private readonly heartbeat: Heartbeat;
  private readonly countActivity: boolean;
  private watching = false;

  /** @internal Made by `HeartbeatPlugin.watch()`. */
  constructor(heartbeat: Heartbeat, connection: Connection, countActivity: boolean) {
    this.heartbeat = heartbeat;
    this.connection = connection;
    this.countActivity = countActivity;
    // A connection that is already closed will not emit `close` again: nothing to watch.
    if (connection.readyState === Connection.CLOSED) return;
    if (heartbeat.has(connection)) throw new Error('this connection is already watched by this heartbeat');
    this.watching = true;
    connection.on('pong', onPong, this);
    connection.on('close', onClose, this);
    if (countActivity) {
      connection.on('message', onActivity, this);
      connection.on('ping', onActivity, this);
    }
    heartbeat.onConnection(connection);
  }

  /** Whether the connection is still watched: until it closes or `close()` is called. */
  get isWatching(): boolean {
    return this.watching;
  }

  /** Stops keeping the connection alive (the connection itself stays open). Idempotent. */
  close(): void {
    if (!this.watching) return;
    this.watching = false;
    const connection = this.connection;
    connection.off('pong', onPong, this);
    connection.off('close', onClose, this);
    if (this.countActivity) {
      connection.off('message', onActivity, this);
      connection.off('ping', onActivity, this);
    }
    this.heartbeat.onDisconnect(connection);
  }

  /** @internal */
  pong(payload: Buffer): void {
    this.heartbeat.onPong(this.connection, payload);
  }

  /** @internal */
  activity(): void {
    this.heartbeat.markAlive(this.connection);
  }
}

function onPong(this: HeartbeatWatch, payload: Buffer): void {
  this.pong(payload);
}

function onActivity(this: HeartbeatWatch): void {
  this.activity();
}

function onClose(this: HeartbeatWatch): void {
  this.close();
}
