import type { DropReason } from './reports';
import type { ResolvedRedisAdapterOptions } from './options';

/** What a transport tells the adapter. */
export interface TransportHost {
  readonly options: ResolvedRedisAdapterOptions;
  /** An envelope arrived from Redis for `topic` (possibly this process's own: the adapter checks). */
  deliver(topic: string, message: Buffer): void;
  dropped(reason: DropReason, messages: number, bytes: number): void;
  error(error: Error): void;
  /** Every connection is up and every wanted topic subscribed again. */
  up(): void;
  /** A connection went down. */
  down(): void;
  /** Streams mode: Redis lost its data since we last saw it (a restart without persistence). */
  reset(): void;
}

/** One way of carrying envelopes between processes: pub/sub channels or streams. */
export interface Transport {
  /** The first local subscriber of `topic` arrived: start receiving it from Redis. */
  open(topic: string): void;
  /** The last local subscriber of `topic` left. */
  close(topic: string): void;
  /** Sends an envelope to every other process; `bytes` is its payload size, for reports. */
  publish(topic: string, message: Buffer, bytes: number): void;
  /** Resolves once messages published to `topic` from now on will reach this process. */
  whenSubscribed(topic: string): Promise<void>;
  /** Connections this transport holds open to Redis. */
  readonly connectionCount: number;
  /** Ends every connection; resolves once they are closed. */
  end(): Promise<void>;
}

/** Promises per topic, resolved together. */
export class TopicWaiters {
  private readonly waiting = new Map<string, Array<() => void>>();

  wait(topic: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.waiting.get(topic);
      if (list === undefined) this.waiting.set(topic, [resolve]);
      else list.push(resolve);
    });
  }

  resolve(topic: string): void {
    const list = this.waiting.get(topic);
    if (list === undefined) return;
    this.waiting.delete(topic);
    for (const resolve of list) resolve();
  }
}

/** A Redis error or rejection as an Error (ioredis rejects with Errors, but be sure). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
