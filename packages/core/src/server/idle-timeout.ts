import { CloseCode } from '../protocol/constants';
import type { Connection } from './connection';
import type { PluginInstance } from './plugin';
import { TimerWheel, WheelEntry } from './timer-wheel';

/** A connection is looked at this many times per `idleTimeout`, so it is closed at most 1/8 late. */
const CHECKS_PER_TIMEOUT = 8;
/** Ticks between two looks at a connection: connections that opened apart are looked at apart. */
const TICKS_PER_CHECK = 4;

/** Per connection: the wheel's links, the chunk count last seen, and the tick it last changed. */
class IdleWatch extends WheelEntry {
  seenChunks: number;
  activeAt: number;

  constructor(
    readonly connection: Connection,
    now: number,
  ) {
    super();
    this.seenChunks = connection.chunksReceived;
    this.activeAt = now;
  }
}

/**
 * `idleTimeout`: closes a connection that has received nothing for that long, with 1001 (going
 * away: the server drops the connection for its own reasons, and the client may reconnect; 1000
 * would say the connection's purpose was fulfilled). Any byte from the peer counts, pongs
 * included. One timer wheel for every connection of the server; the connection only counts the
 * chunks it reads, and the wheel compares counts, so no clock is read per chunk. A connection is
 * closed between `idleTimeout` and 1.125 × `idleTimeout` after the last byte it sent.
 *
 * Built into core as a plugin instance: it sees connections open and close through the same hooks.
 */
export class IdleTimeout implements PluginInstance {
  private readonly wheel: TimerWheel<IdleWatch>;
  private readonly idleTicks: number;
  private readonly watches = new Map<Connection, IdleWatch>();

  constructor(timeoutMs: number) {
    const tickMs = Math.max(5, Math.floor(timeoutMs / (CHECKS_PER_TIMEOUT * TICKS_PER_CHECK)));
    this.idleTicks = Math.ceil(timeoutMs / tickMs);
    this.wheel = new TimerWheel<IdleWatch>(tickMs, TICKS_PER_CHECK, this.check.bind(this));
  }

  /** Connections being watched. */
  get size(): number {
    return this.watches.size;
  }

  onConnection(connection: Connection): void {
    const watch = new IdleWatch(connection, this.wheel.now);
    this.watches.set(connection, watch);
    this.wheel.schedule(watch, Math.min(TICKS_PER_CHECK, this.idleTicks));
  }

  onDisconnect(connection: Connection): void {
    const watch = this.watches.get(connection);
    if (watch === undefined) return;
    this.watches.delete(connection);
    this.wheel.cancel(watch);
  }

  close(): void {
    this.wheel.close();
    this.watches.clear();
  }

  private check(watch: IdleWatch): void {
    const connection = watch.connection;
    if (!connection.isOpen) {
      // Closing for another reason: closeTimeout bounds that close, not us.
      this.watches.delete(connection);
      return;
    }
    const now = this.wheel.now;
    if (connection.chunksReceived !== watch.seenChunks) {
      // Bytes came since the last look: count them as of now (at most one check late).
      watch.seenChunks = connection.chunksReceived;
      watch.activeAt = now;
    }
    const quiet = now - watch.activeAt;
    if (quiet < this.idleTicks) {
      this.wheel.schedule(watch, Math.min(TICKS_PER_CHECK, this.idleTicks - quiet));
      return;
    }
    this.watches.delete(connection);
    // RFC 6455 §7.4.1: 1001, the endpoint is going away from this connection.
    connection.close(CloseCode.GoingAway, 'Idle timeout');
  }
}
