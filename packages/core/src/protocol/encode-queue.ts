import type { EncodeCallback, EncodeOptions } from '../extension/extension';
import type { ExtensionChain } from '../extension/chain';
import type { SharedEncoding, SharedEncodingWaiter } from './shared-encoding';

export type WriteCallback = (error?: Error | null) => void;

/** Where the queue delivers what the extensions encoded, in the order it was accepted. */
export interface EncodeQueueTarget {
  writeEncoded(payload: Buffer, rsv: number, binary: boolean, callback: WriteCallback | undefined): void;
  writeQueuedClose(body: Buffer): void;
  onEncodeFailed(error: Error): void;
  /** The queue emptied after waiting on an asynchronous encode. */
  onQueueFlushed(): void;
}

interface QueuedMessage {
  readonly payload: Buffer;
  readonly options: EncodeOptions;
  readonly callback: WriteCallback | undefined;
}

/** A message encoded once for many connections, waiting for its result or its turn. */
interface QueuedShared {
  readonly shared: SharedEncoding;
  readonly callback: WriteCallback | undefined;
}

/** A close frame waiting behind messages the extensions are still encoding. */
interface QueuedClose {
  readonly closeBody: Buffer;
}

/**
 * Outgoing messages of a connection with extensions: each passes through the chain, one at a
 * time, so frames leave in the order `send()` accepted them even when codecs are asynchronous;
 * a close frame queued behind them waits its turn (nothing accepted is lost on a clean close).
 * A message encoded once for many connections (`SharedEncoding`) takes its place in the same
 * line: it is written when its result is there and everything sent before it has gone.
 */
export class EncodeQueue implements SharedEncodingWaiter {
  private readonly chain: ExtensionChain;
  private readonly target: EncodeQueueTarget;
  private readonly queue: (QueuedMessage | QueuedShared | QueuedClose)[] = [];
  private current: QueuedMessage | QueuedShared | null = null;
  private encodingSync = false;
  private bytes = 0;
  private readonly onEncodedBound: EncodeCallback = (error, payload, rsv) => this.onEncoded(error, payload, rsv);

  constructor(chain: ExtensionChain, target: EncodeQueueTarget) {
    this.chain = chain;
    this.target = target;
  }

  /** Payload bytes accepted and not yet handed on. */
  get pendingBytes(): number {
    return this.bytes;
  }

  get isIdle(): boolean {
    return this.current === null && this.queue.length === 0;
  }

  pushMessage(payload: Buffer, options: EncodeOptions, callback: WriteCallback | undefined): void {
    this.queue.push({ payload, options, callback });
    this.bytes += payload.length;
    if (this.current === null) this.flush();
  }

  /** Queues a message encoded (or being encoded) once for many connections. */
  pushShared(shared: SharedEncoding, callback: WriteCallback | undefined): void {
    this.queue.push({ shared, callback });
    this.bytes += shared.sourceLength;
    if (this.current === null) this.flush();
  }

  pushClose(body: Buffer): void {
    this.queue.push({ closeBody: body });
    if (this.current === null) this.flush();
  }

  /** Drops everything, telling each sender its message was not sent. */
  abort(error: Error): void {
    const current = this.current;
    this.current = null;
    const queued = this.queue.splice(0);
    this.bytes = 0;
    current?.callback?.(error);
    for (const entry of queued) if (!('closeBody' in entry)) entry.callback?.(error);
  }

  private flush(): void {
    while (this.current === null && this.queue.length > 0) {
      const next = this.queue.shift()!;
      if ('closeBody' in next) {
        this.target.writeQueuedClose(next.closeBody);
        continue;
      }
      this.current = next;
      if ('shared' in next) {
        if (next.shared.settled) this.finishShared(next);
        else next.shared.wait(this);
        continue;
      }
      this.encodingSync = true;
      this.chain.encode(next.payload, next.options, this.onEncodedBound);
      this.encodingSync = false;
    }
  }

  /** @internal SharedEncodingWaiter: the result this queue's current entry waited for is there. */
  onSharedEncoded(shared: SharedEncoding): void {
    const entry = this.current;
    if (entry === null || !('shared' in entry) || entry.shared !== shared) return; // aborted meanwhile
    this.finishShared(entry);
    this.flush();
    if (this.isIdle) this.target.onQueueFlushed();
  }

  private finishShared(entry: QueuedShared): void {
    this.current = null;
    const shared = entry.shared;
    this.bytes -= shared.sourceLength;
    if (shared.payload === null) {
      const failure = shared.error ?? new Error('extension returned no data');
      entry.callback?.(failure);
      this.target.onEncodeFailed(failure);
      return;
    }
    this.target.writeEncoded(shared.payload, shared.rsv, shared.binary, entry.callback);
  }

  private onEncoded(error: Error | null, payload: Buffer | null, rsv: number): void {
    const message = this.current;
    if (message === null || 'shared' in message) return; // aborted meanwhile
    this.current = null;
    this.bytes -= message.payload.length;
    if (error !== null || payload === null) {
      const failure = error ?? new Error('extension returned no data');
      message.callback?.(failure);
      this.target.onEncodeFailed(failure);
      return;
    }
    this.target.writeEncoded(payload, rsv, message.options.binary, message.callback);
    if (this.encodingSync) return; // the flush loop that called encode goes on
    this.flush();
    if (this.isIdle) this.target.onQueueFlushed();
  }
}
