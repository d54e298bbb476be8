import WebSocket from 'ws';
import type { ServerEvent } from '../../src/chat-protocol';

type Inbound =
  { readonly kind: 'event'; readonly event: ServerEvent } | { readonly kind: 'binary'; readonly data: Buffer };

interface Waiter {
  readonly match: (item: Inbound) => boolean;
  readonly resolve: (item: Inbound) => void;
}

/**
 * A chat participant on the `ws` package: records everything the server sends, and lets a test
 * wait for the next event of a type (events it skips stay queued for later waits).
 */
export class ChatClient {
  private readonly inbox: Inbound[] = [];
  private readonly waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.deliver(
        isBinary
          ? { kind: 'binary', data }
          : { kind: 'event', event: JSON.parse(data.toString('utf8')) as ServerEvent },
      );
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Connects and waits for the server's `welcome`. */
  static async connect(
    url: string,
    options?: WebSocket.ClientOptions,
  ): Promise<{ client: ChatClient; welcome: Extract<ServerEvent, { type: 'welcome' }> }> {
    const ws = new WebSocket(url, options);
    const client = new ChatClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const welcome = await client.next('welcome');
    return { client, welcome };
  }

  /** Connects and joins with `name`; resolves once the server has announced the join. */
  static async join(url: string, name: string): Promise<ChatClient> {
    const { client, welcome } = await ChatClient.connect(url);
    client.send({ type: 'join', name });
    await client.nextWhere('join', (event) => event.user.id === welcome.id);
    return client;
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  next<T extends ServerEvent['type']>(type: T, timeoutMs = 5000): Promise<Extract<ServerEvent, { type: T }>> {
    return this.nextWhere(type, () => true, timeoutMs);
  }

  nextWhere<T extends ServerEvent['type']>(
    type: T,
    predicate: (event: Extract<ServerEvent, { type: T }>) => boolean,
    timeoutMs = 5000,
  ): Promise<Extract<ServerEvent, { type: T }>> {
    const match = (item: Inbound): boolean =>
      item.kind === 'event' && item.event.type === type && predicate(item.event as Extract<ServerEvent, { type: T }>);
    return this.take(match, `${type} event`, timeoutMs).then(
      (item) => (item as Extract<Inbound, { kind: 'event' }>).event as Extract<ServerEvent, { type: T }>,
    );
  }

  nextBinary(timeoutMs = 5000): Promise<Buffer> {
    return this.take((item) => item.kind === 'binary', 'binary message', timeoutMs).then(
      (item) => (item as Extract<Inbound, { kind: 'binary' }>).data,
    );
  }

  /** Events received and not yet taken by a wait. */
  pending(): readonly Inbound[] {
    return this.inbox;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    return this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }

  private take(match: (item: Inbound) => boolean, what: string, timeoutMs: number): Promise<Inbound> {
    const index = this.inbox.findIndex(match);
    if (index !== -1) return Promise.resolve(this.inbox.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a ${what}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private deliver(item: Inbound): void {
    const index = this.waiters.findIndex((waiter) => waiter.match(item));
    if (index === -1) {
      this.inbox.push(item);
      return;
    }
    this.waiters.splice(index, 1)[0].resolve(item);
  }
}
