import type { Duplex } from 'node:stream';
import type { Protocol } from '../protocol/protocol';
import { outputBatch } from './output-batch';

// Why reading is paused (a bit each, so each cause is lifted on its own).
export const PAUSED_FOR_EXTENSION = 1;
export const PAUSED_FOR_OUTPUT = 2;

const EMPTY = Buffer.alloc(0);

/** What the flow control asks of its connection. */
export interface FlowHost {
  readonly readyState: number;
  /** Everything accepted is out: the connection emits `drain`. */
  onDrained(): void;
}

/** `readyState` of a connection whose socket is gone. */
const CLOSED = 3;

/**
 * A connection's flow control, made the first time it is needed (most connections are never
 * paused and never owe a `drain`): reading paused while an extension falls behind or the peer
 * does not read what we send, and `drain` once everything accepted has been handed to the OS.
 */
export class FlowControl {
  private readonly host: FlowHost;
  private readonly socket: Duplex;
  private readonly wire: Protocol;
  private readPauses = 0;
  /** `drain` is due once everything is out: the socket drained, or a send returned 'backpressure'. */
  private drainOwed = false;

  constructor(host: FlowHost, socket: Duplex, wire: Protocol) {
    this.host = host;
    this.socket = socket;
    this.wire = wire;
  }

  pauseReading(reason: number): void {
    if (this.readPauses === 0) this.socket.pause();
    this.readPauses |= reason;
  }

  resumeReading(reason: number): void {
    if ((this.readPauses & reason) === 0) return;
    this.readPauses &= ~reason;
    if (this.readPauses === 0 && this.host.readyState !== CLOSED) this.socket.resume();
  }

  /** Messages that waited on extensions are all out. */
  onOutputFlushed(): void {
    if (this.drainOwed) this.settleDrain();
  }

  /**
   * Emits `drain` (and reading resumes) once nothing is left unsent, or arranges to be called
   * again when whatever is still queued moves on: extensions finishing (`onOutputFlushed`), the
   * socket's `drain`, or (rare: a socket that did not have to buffer emits none) an empty write.
   */
  settleDrain(): void {
    if (this.host.readyState === CLOSED) return;
    this.drainOwed = true;
    if (this.wire.pendingBytes > 0) return;
    if (outputBatch.holds(this.socket)) outputBatch.flush();
    if (this.socket.writableLength === 0) {
      this.drainOwed = false;
      this.resumeReading(PAUSED_FOR_OUTPUT);
      this.host.onDrained();
    } else if (!this.socket.writableNeedDrain && this.socket.writable) {
      this.socket.write(EMPTY, () => this.settleDrain());
    }
  }

  /** Some later event must lead to `drain`; never this call, so a listener added after it hears it. */
  expectDrain(): void {
    this.drainOwed = true;
    if (outputBatch.holds(this.socket)) outputBatch.flush();
    if (this.wire.pendingBytes === 0 && !this.socket.writableNeedDrain)
      this.socket.write(EMPTY, () => this.settleDrain());
  }
}
