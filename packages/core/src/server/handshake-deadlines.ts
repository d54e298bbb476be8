import type { Duplex } from 'node:stream';
import type { HandshakeRejection } from '../handshake/handshake';
import { Rejections } from '../handshake/rejections';
import { abortIfUnanswered } from './reject';
import { TimerWheel, WheelEntry } from './timer-wheel';

/** What a deadline answers when it fires while `verifyClient` is still deciding. */
export interface Cancellable {
  cancel(rejection: HandshakeRejection): void;
}

const MAX_SLOTS = 512;

/** One socket whose handshake is under way: the wheel's links and what to do when time is up. */
class HandshakeDeadline extends WheelEntry {
  /** An async `verifyClient` in progress: it is the one to answer 408. */
  pending: Cancellable | null = null;
  /** The 408 went out; the next expiry destroys the socket, answered or not. */
  expired = false;

  constructor(
    readonly socket: Duplex,
    /** False while Node's HTTP parser still reads the request (standalone, before `upgrade`). */
    public requestRead: boolean,
  ) {
    super();
  }
}

/**
 * `handshakeTimeout` as a total deadline, not an idle timeout: a client that sends its request a
 * byte at a time (slowloris) is dropped when the deadline passes however busy it keeps the socket.
 * One timer wheel for every socket in its handshake: a deadline costs one small object and a map
 * entry, no timer, closure or property per socket.
 *
 *   standalone:         connection accepted ──(HTTP parse, upgrade, async verifyClient)──> 101 written
 *   attached/noServer:  handleUpgrade(), async verifyClient only ──────────────────────> 101 written
 *                       └── start ───────────────────────────────────────────────────── release ─┘
 *
 * When the deadline passes, the socket gets 408 (from the pending handshake if `verifyClient` is
 * deciding, else directly if nothing was written to it yet), then one short grace for that answer
 * to leave before the socket is destroyed.
 */
export class HandshakeDeadlines {
  private readonly wheel: TimerWheel<HandshakeDeadline>;
  private readonly ticks: number;
  private readonly graceTicks: number;
  private readonly deadlines = new Map<Duplex, HandshakeDeadline>();
  /** One `close` listener for every socket of this server; `this` is the socket. */
  private readonly onSocketClose: (this: Duplex) => void;

  constructor(timeoutMs: number) {
    // 50 ticks per timeout, between 10 and 100 ms each: late by at most two ticks, never early.
    // The wheel follows the clock: a deadline is wall time, however loaded the process.
    const tickMs = Math.min(100, Math.max(10, Math.round(timeoutMs / 50)));
    // +1: the wheel's current tick may be partly gone when a deadline starts.
    this.ticks = Math.ceil(timeoutMs / tickMs) + 1;
    this.graceTicks = Math.max(1, Math.ceil(500 / tickMs));
    // Slots past a few hundred buy nothing: a deadline further ahead waits whole turns in its slot.
    const slots = Math.min(this.ticks, MAX_SLOTS);
    this.wheel = new TimerWheel<HandshakeDeadline>(tickMs, slots, this.onExpired.bind(this), { followClock: true });
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- `this` inside is the socket
    const deadlines = this;
    this.onSocketClose = function onSocketClose(this: Duplex): void {
      deadlines.release(this);
    };
  }

  /** Handshakes with a deadline running. */
  get size(): number {
    return this.deadlines.size;
  }

  /**
   * Starts the socket's deadline, unless one already runs (standalone: since it connected).
   * `requestRead` is false for a socket whose request Node's HTTP parser is still reading.
   */
  start(socket: Duplex, requestRead: boolean): void {
    if (socket.destroyed || this.deadlines.has(socket)) return;
    const deadline = new HandshakeDeadline(socket, requestRead);
    this.deadlines.set(socket, deadline);
    socket.on('close', this.onSocketClose);
    this.wheel.schedule(deadline, this.ticks);
  }

  /** The request has been read (standalone: the `upgrade` event). */
  markRequestRead(socket: Duplex): void {
    const deadline = this.deadlines.get(socket);
    if (deadline !== undefined) deadline.requestRead = true;
  }

  /** An async `verifyClient` started (`pending`) or finished (`null`) on this socket. */
  setPending(socket: Duplex, pending: Cancellable | null): void {
    if (pending !== null) this.start(socket, true);
    const deadline = this.deadlines.get(socket);
    if (deadline !== undefined) deadline.pending = pending;
  }

  /** The 101 is written (or the socket closed): the deadline is over. */
  release(socket: Duplex): void {
    const deadline = this.deadlines.get(socket);
    if (deadline === undefined) return;
    this.deadlines.delete(socket);
    socket.removeListener('close', this.onSocketClose);
    this.wheel.cancel(deadline);
  }

  /** Answers every socket still sending its request (standalone `close()`: 503). */
  refuseUnread(rejection: HandshakeRejection): void {
    for (const deadline of [...this.deadlines.values()]) {
      if (!deadline.requestRead) abortIfUnanswered(deadline.socket, rejection);
    }
  }

  private onExpired(deadline: HandshakeDeadline): void {
    const socket = deadline.socket;
    if (deadline.expired) {
      socket.destroy();
      return;
    }
    deadline.expired = true;
    this.wheel.schedule(deadline, this.graceTicks);
    const pending = deadline.pending;
    deadline.pending = null;
    if (pending !== null) pending.cancel(Rejections.timedOut());
    else abortIfUnanswered(socket, Rejections.timedOut());
  }
}
