import type { Connection, Server } from '@ws/core';

type Listener = { fn: (...args: any[]) => void; context: unknown };

/**
 * Just enough of eventemitter3 (listeners with a context) for the heartbeat's scheduling to be
 * tested on jest's fake clock. Behaviour on the wire is tested over real sockets elsewhere.
 */
class FakeEmitter {
  private readonly listeners = new Map<string, Listener[]>();

  on(event: string, fn: (...args: any[]) => void, context?: unknown): this {
    const list = this.listeners.get(event) ?? [];
    list.push({ fn, context });
    this.listeners.set(event, list);
    return this;
  }

  off(event: string, fn?: (...args: any[]) => void, context?: unknown): this {
    const list = this.listeners.get(event) ?? [];
    this.listeners.set(
      event,
      list.filter((l) => !(l.fn === fn && (context === undefined || l.context === context))),
    );
    return this;
  }

  emit(event: string, ...args: unknown[]): boolean {
    const list = this.listeners.get(event) ?? [];
    for (const l of list) l.fn.apply(l.context, args);
    return list.length > 0;
  }

  listenerCount(event: string): number {
    return (this.listeners.get(event) ?? []).length;
  }
}

export class FakeConnection extends FakeEmitter {
  isOpen = true;
  latency: number | undefined = undefined;
  readonly pings: Buffer[] = [];
  readonly closes: Array<[number, string]> = [];
  terminated = false;

  constructor(private readonly server: FakeServer) {
    super();
  }

  ping(payload?: Buffer): void {
    this.pings.push(payload ?? Buffer.alloc(0));
  }

  /** Records the close; the fake peer never finishes the handshake, so no disconnect follows. */
  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
    this.isOpen = false;
  }

  terminate(): void {
    this.terminated = true;
    this.isOpen = false;
  }

  /** The peer answers the last ping, `ms` after it was sent, echoing its payload (RFC 6455 §5.5.3). */
  answer(ms = 1): void {
    this.latency = ms;
    const payload = this.pings[this.pings.length - 1] ?? Buffer.alloc(0);
    this.emit('pong', payload);
    this.server.emit('pong', this, payload);
  }

  /** The peer sends a message. */
  talk(): void {
    this.emit('message', 'hi', false);
    this.server.emit('message', 'hi', this, false);
  }

  asConnection(): Connection {
    return this as unknown as Connection;
  }
}

export class FakeServer extends FakeEmitter {
  connect(): FakeConnection {
    return new FakeConnection(this);
  }

  asServer(): Server {
    return this as unknown as Server;
  }
}
