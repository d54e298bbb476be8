import { type Connection, type Plugin, type PluginInstance, type Server, TimerWheel, WheelEntry } from '@ws/core';
import { resolveOptions, type HeartbeatOptions, type ResolvedHeartbeatOptions } from './options';
import { HeartbeatWatch } from './watch';

/*
 * The events the heartbeat adds to core's connection and server, typed by merging into core's
 * event maps. A connection's listeners get the arguments; the server's get the connection first,
 * as with every other server event.
 */
declare module '@ws/core' {
  interface ConnectionEvents {
    /** The heartbeat sent a ping (the seed's `on_ping`); `payload` is shared: do not modify it. */
    heartbeat: (payload: Buffer) => void;
    /** A pong answered the heartbeat's ping after `ms` milliseconds (also in `connection.latency`). */
    latency: (ms: number) => void;
    /** No sign of life within `timeout` of a ping: the connection is being closed. */
    heartbeatTimeout: () => void;
  }
  interface ServerEvents {
    /** The heartbeat sent a ping to `connection`. */
    heartbeat: (connection: Connection, payload: Buffer) => void;
    /** A pong answered the heartbeat's ping after `ms` milliseconds. */
    latency: (connection: Connection, ms: number) => void;
    /** No answer within `timeout`: the close frame has just been sent. */
    heartbeatTimeout: (connection: Connection) => void;
  }
}

/**
 * Where a connection is in its cycle. Each phase has one deadline in the wheel:
 *
 *   Idle ──(next ping due)──> ping ──> Awaiting ──(pong or, with countActivity, a message or ping)──> Idle
 *                                         │ timeout
 *                                         v
 *                      close(closeCode) Closing ──(still not closed after timeout)──> terminate()
 */
const enum Phase {
  Idle,
  Awaiting,
  Closing,
}

/** Per-connection state: the wheel's links plus four numbers. */
class Beat extends WheelEntry {
  phase = Phase.Idle;
  /**
   * The connection's turn: it is pinged only on ticks ≡ turn (mod intervalTicks), so pings stay
   * spread over the interval even when many connections go quiet at the same moment.
   */
  turn = 0;
  /** Tick of the last ping (or, before the first, a turn one interval before it). */
  base = 0;
  /** Tick of the last sign of life other than the answer to a ping; read only with `countActivity`. */
  seen = 0;
  readonly connection: Connection;

  constructor(connection: Connection) {
    super();
    this.connection = connection;
  }
}

/** The plugin: validated options, attachable to any number of servers. */
export class HeartbeatPlugin implements Plugin {
  readonly name = 'heartbeat';
  /** The options, checked, with defaults applied and times in ticks. */
  readonly options: ResolvedHeartbeatOptions;
  /** The heartbeat of every connection given to `watch()`: one wheel for all of them. */
  private watched: Heartbeat | null = null;

  constructor(options?: HeartbeatOptions) {
    this.options = resolveOptions(options);
  }

  attach(server: Server): Heartbeat {
    return new Heartbeat(server, this.options);
  }

  /**
   * Keeps one connection alive on its own, without a server: a client's connection (from
   * `connect()`), typically. It is pinged and judged exactly as a server's would be, and its
   * `heartbeat`, `latency` and `heartbeatTimeout` events fire on it. Watching stops by itself
   * when the connection closes, or with the handle's `close()`. Every connection this plugin
   * watches shares one timer wheel.
   */
  watch(connection: Connection): HeartbeatWatch {
    if (this.watched === null) this.watched = new Heartbeat(null, this.options);
    return new HeartbeatWatch(this.watched, connection, this.options.countActivity);
  }
}

/**
 * Ping/pong keep-alive for every connection of a server:
 * `new Server({ plugins: [heartbeat({ interval: 5000 })] })`. Options are checked here, so a bad
 * one throws before the server exists.
 */
export function heartbeat(options?: HeartbeatOptions): HeartbeatPlugin {
  return new HeartbeatPlugin(options);
}

/**
 * The heartbeat of one server (or, with no server, of the connections a plugin `watch`es): one
 * timer wheel, one `Beat` per open connection.
 */
export class Heartbeat implements PluginInstance {
  private readonly server: Server | null;
  private readonly options: ResolvedHeartbeatOptions;
  private readonly wheel: TimerWheel<Beat>;
  /** A Map rather than a property on the connection: core's objects keep their shape. */
  private readonly beats = new Map<Connection, Beat>();
  /** Turns are handed out round-robin, so even a burst of connections is spread evenly. */
  private nextTurn: number;
  private closed = false;

  constructor(server: Server | null, options: ResolvedHeartbeatOptions) {
    this.server = server;
    this.options = options;
    this.nextTurn = 1 % options.intervalTicks; // the first connection gets the next tick
    this.wheel = new TimerWheel<Beat>(options.tickMs, options.intervalTicks, this.onDue.bind(this));
    // Server-level listeners, with `this` as context: one listener per server, none per connection.
    // Without a server, each watched connection's listeners call the same methods.
    if (server === null) return;
    server.on('pong', this.onPong, this);
    if (options.countActivity) {
      server.on('message', this.onMessage, this);
      server.on('ping', this.onPing, this);
    }
  }

  /** Connections being watched. */
  get size(): number {
    return this.beats.size;
  }

  /** Whether the heartbeat's timer exists: only while there are connections to watch. */
  get isRunning(): boolean {
    return this.wheel.isRunning;
  }

  /** @internal Whether `connection` is watched. */
  has(connection: Connection): boolean {
    return this.beats.has(connection);
  }

  onConnection(connection: Connection): void {
    if (this.closed || this.beats.has(connection)) return;
    const beat = new Beat(connection);
    const { intervalTicks } = this.options;
    const now = this.wheel.now;
    beat.turn = this.nextTurn;
    this.nextTurn = (this.nextTurn + 1) % intervalTicks;
    const offset = (((beat.turn - now) % intervalTicks) + intervalTicks) % intervalTicks || intervalTicks;
    // The first ping comes on the connection's turn, within one interval, as if the last one had
    // been sent an interval before. With countActivity the handshake itself is a sign of life,
    // so the first ping waits for the first turn a whole interval after it.
    beat.base = now + offset - intervalTicks;
    beat.seen = now;
    this.beats.set(connection, beat);
    this.wheel.schedule(beat, offset);
  }

  onDisconnect(connection: Connection): void {
    const beat = this.beats.get(connection);
    if (beat === undefined) return;
    this.beats.delete(connection);
    this.wheel.cancel(beat);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wheel.close();
    this.beats.clear();
    this.server?.off('pong', this.onPong, this);
    this.server?.off('message', this.onMessage, this);
    this.server?.off('ping', this.onPing, this);
  }

  private onDue(beat: Beat): void {
    const { intervalTicks, timeoutTicks } = this.options;
    const now = this.wheel.now;
    const connection = beat.connection;

    if (beat.phase === Phase.Closing) {
      // The close handshake did not finish within `timeout` (core's closeTimeout usually ends it
      // first). RFC 6455 §7.1.1: the server may drop the TCP connection itself.
      this.beats.delete(connection);
      connection.terminate();
      return;
    }

    if (beat.phase === Phase.Awaiting) {
      if (!connection.isOpen) {
        // The application (or the peer) started closing meanwhile: that close, bounded by core's
        // closeTimeout, is not ours to judge or cut short.
        this.beats.delete(connection);
        return;
      }
      const waited = now - beat.base;
      if (waited < timeoutTicks) {
        // The interval is up but not the timeout (timeout > interval): no second ping while the
        // first is unanswered; come back at the deadline.
        this.wheel.schedule(beat, timeoutTicks - waited);
        return;
      }
      this.declareDead(beat);
      return;
    }

    // Idle: ping on the first turn a whole interval after the last ping (or, with countActivity,
    // after the last sign of life).
    const last = this.options.countActivity && beat.seen > beat.base ? beat.seen : beat.base;
    const earliest = last + intervalTicks;
    const due = earliest + ((((beat.turn - earliest) % intervalTicks) + intervalTicks) % intervalTicks);
    if (due > now) {
      this.wheel.schedule(beat, due - now);
      return;
    }
    if (!connection.isOpen) {
      // Closing for another reason; core ends that. Look again in an interval.
      this.wheel.schedule(beat, intervalTicks);
      return;
    }
    beat.phase = Phase.Awaiting;
    beat.base = now;
    // Rescheduled before anything that may run user code, so a listener that throws or closes the
    // server leaves the wheel consistent.
    this.wheel.schedule(beat, Math.min(intervalTicks, timeoutTicks));
    const payload = this.options.payload;
    connection.ping(payload);
    connection.emit('heartbeat', payload);
    this.server?.emit('heartbeat', connection, payload);
  }

  private declareDead(beat: Beat): void {
    const connection = beat.connection;
    beat.phase = Phase.Closing;
    this.wheel.schedule(beat, this.options.timeoutTicks);
    // RFC 6455 §7.1.2: start the closing handshake; the peer may be alive but slow, and a close
    // frame with a code tells it why.
    connection.close(this.options.closeCode, this.options.closeReason);
    connection.emit('heartbeatTimeout');
    this.server?.emit('heartbeatTimeout', connection);
  }

  /** @internal A pong arrived on `connection` (a server listener, or a watched connection's). */
  onPong(connection: Connection, payload: Buffer): void {
    const beat = this.beats.get(connection);
    if (beat === undefined) return;
    // With a payload of our own, only a pong that echoes it answers our ping (RFC 6455 §5.5.3).
    const ours = this.options.payload;
    if (beat.phase !== Phase.Awaiting || (ours.length > 0 && !payload.equals(ours))) {
      // RFC 6455 §5.5.3: an unsolicited pong is a unidirectional heartbeat, a sign of life.
      beat.seen = this.wheel.now;
      return;
    }
    // The answer to our ping: not counted as activity, or it would put off the next ping.
    beat.phase = Phase.Idle;
    // Core measured the round trip of the ping this pong answers before emitting `pong`.
    const ms = connection.latency;
    if (ms === undefined) return;
    connection.emit('latency', ms);
    this.server?.emit('latency', connection, ms);
  }

  private onMessage(_data: unknown, connection: Connection): void {
    this.markAlive(connection);
  }

  private onPing(connection: Connection): void {
    this.markAlive(connection);
  }

  /** @internal With `countActivity`: a message or ping arrived on `connection`. */
  markAlive(connection: Connection): void {
    const beat = this.beats.get(connection);
    if (beat === undefined) return;
    beat.seen = this.wheel.now;
    if (beat.phase === Phase.Awaiting) beat.phase = Phase.Idle;
  }
}
