/**
 * Pub/sub mode: one Redis channel per topic (`prefix + topic`), PUBLISH to send, SUBSCRIBE only
 * to the topics this process has subscribers for; on a Cluster, sharded pub/sub (SPUBLISH,
 * SSUBSCRIBE) so each channel lives on the shard that owns its slot.
 *
 * At most once across an outage: Redis keeps nothing for a subscriber that is not connected.
 * A publish made while the publishing connection is down, or in flight when it broke, is not
 * retried (a retry could duplicate) and is reported through `dropped`.
 *
 *   onTopicOpen ──> wanted ──(microtask batch)──> SUBSCRIBE ──(reply)──> confirmed
 *   connection ready: atRedis and confirmed cleared, every wanted topic subscribed again
 */
import type { Cluster, Redis } from 'ioredis';
import { connectCluster, connectStandalone, endConnection } from './connections';
import { asError, TopicWaiters, type Transport, type TransportHost } from './transport';

/** Channels per SUBSCRIBE command when many topics are (re)subscribed at once. */
const SUBSCRIBE_BATCH = 1000;

export class PubSubTransport implements Transport {
  private readonly host: TransportHost;
  private readonly prefix: string;
  private readonly prefixBytes: number;
  private readonly sharded: boolean;
  /** Sends PUBLISH/SPUBLISH; on a Cluster it also holds the sharded subscribers. */
  private readonly publisher: Redis | Cluster;
  private readonly subscriber: Redis | Cluster;
  /** Topics with local subscribers. */
  private readonly wanted = new Set<string>();
  /** Topics SUBSCRIBE was sent for on the current subscriber connection. */
  private readonly atRedis = new Set<string>();
  /** Topics whose SUBSCRIBE Redis answered. */
  private readonly confirmed = new Set<string>();
  /** Topics opened or closed since the last flush. */
  private readonly touched = new Set<string>();
  private flushQueued = false;
  private readonly waiters = new TopicWaiters();
  private ending = false;

  constructor(host: TransportHost) {
    this.host = host;
    const { options } = host;
    this.prefix = options.prefix;
    this.prefixBytes = Buffer.byteLength(options.prefix);
    this.sharded = options.cluster !== undefined;
    if (this.sharded) {
      this.publisher = connectCluster(options);
      this.subscriber = this.publisher;
    } else {
      this.publisher = connectStandalone(options, 'pub');
      this.subscriber = connectStandalone(options, 'sub');
      // ioredis emitters are Node's: no context argument, hence the arrows.
      this.publisher.on('error', (error: Error) => this.onError(error));
      this.publisher.on('ready', () => this.onConnectionChange());
      this.publisher.on('close', () => this.onConnectionChange());
    }
    this.subscriber.on('error', (error: Error) => this.onError(error));
    this.subscriber.on('ready', () => this.onSubscriberReady());
    this.subscriber.on('close', () => this.onSubscriberClose());
    this.subscriber.on(this.sharded ? 'smessageBuffer' : 'messageBuffer', (channel: Buffer, message: Buffer) =>
      this.onMessage(channel, message),
    );
  }

  get connectionCount(): number {
    // A cluster client holds one connection per master for commands and one per master for sharded subscriptions.
    return this.sharded ? 2 * (this.publisher as Cluster).nodes('master').length : 2;
  }

  open(topic: string): void {
    this.wanted.add(topic);
    this.touch(topic);
  }

  close(topic: string): void {
    this.wanted.delete(topic);
    this.touch(topic);
  }

  publish(topic: string, message: Buffer, bytes: number): void {
    if (this.ending || this.publisher.status !== 'ready') {
      this.host.dropped('disconnected', 1, bytes);
      return;
    }
    const channel = this.prefix + topic;
    const sent = this.sharded ? this.publisher.spublish(channel, message) : this.publisher.publish(channel, message);
    sent.catch(() => this.host.dropped('unconfirmed', 1, bytes));
  }

  whenSubscribed(topic: string): Promise<void> {
    if (this.confirmed.has(topic)) return Promise.resolve();
    return this.waiters.wait(topic);
  }

  async end(): Promise<void> {
    this.ending = true;
    const connections = this.sharded ? [this.publisher] : [this.publisher, this.subscriber];
    await Promise.all(connections.map(endConnection));
  }

  private get isUp(): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready';
  }

  private touch(topic: string): void {
    this.touched.add(topic);
    if (this.flushQueued) return;
    this.flushQueued = true;
    // Topics opened or closed in one turn (a client joining many rooms) go out as one command.
    queueMicrotask(() => this.flush());
  }

  /** Brings Redis' subscriptions of the touched topics in line with `wanted`. */
  private flush(): void {
    this.flushQueued = false;
    if (this.subscriber.status !== 'ready') {
      // Redis forgot our subscriptions anyway; `onSubscriberReady` subscribes every wanted topic.
      this.touched.clear();
      return;
    }
    const subscribe: string[] = [];
    const unsubscribe: string[] = [];
    for (const topic of this.touched) {
      const wanted = this.wanted.has(topic);
      if (wanted && !this.atRedis.has(topic)) {
        this.atRedis.add(topic);
        subscribe.push(topic);
      } else if (!wanted && this.atRedis.has(topic)) {
        this.atRedis.delete(topic);
        this.confirmed.delete(topic);
        unsubscribe.push(topic);
      }
    }
    this.touched.clear();
    this.send(subscribe, true);
    this.send(unsubscribe, false);
  }

  private send(topics: string[], subscribe: boolean): void {
    // Sharded pub/sub takes one slot per command: one channel each.
    const batch = this.sharded ? 1 : SUBSCRIBE_BATCH;
    for (let start = 0; start < topics.length; start += batch) {
      const slice = topics.slice(start, start + batch);
      const channels = slice.map((topic) => this.prefix + topic);
      const connection = this.subscriber;
      let command: Promise<unknown>;
      if (this.sharded) command = subscribe ? connection.ssubscribe(...channels) : connection.sunsubscribe(...channels);
      else command = subscribe ? connection.subscribe(...channels) : connection.unsubscribe(...channels);
      command.then(
        () => {
          if (subscribe) this.confirm(slice);
        },
        (error: unknown) => {
          // A closed connection rejects; `onSubscriberReady` resubscribes. Anything else is reported.
          if (this.subscriber.status === 'ready' && !this.ending) this.host.error(asError(error));
          if (subscribe) for (const topic of slice) this.atRedis.delete(topic);
        },
      );
    }
  }

  private confirm(topics: string[]): void {
    for (const topic of topics) {
      // Unsubscribed again (or the connection changed) while the reply was on its way.
      if (!this.atRedis.has(topic)) continue;
      this.confirmed.add(topic);
      this.waiters.resolve(topic);
    }
    if (this.confirmed.size === this.wanted.size && this.isUp) this.host.up();
  }

  private onSubscriberReady(): void {
    this.atRedis.clear();
    this.confirmed.clear();
    for (const topic of this.wanted) this.touched.add(topic);
    this.flush();
    this.onConnectionChange();
  }

  private onSubscriberClose(): void {
    this.atRedis.clear();
    this.confirmed.clear();
    this.onConnectionChange();
  }

  private onConnectionChange(): void {
    if (this.ending) return;
    if (!this.isUp) this.host.down();
    else if (this.confirmed.size === this.wanted.size) this.host.up();
  }

  private onMessage(channel: Buffer, message: Buffer): void {
    this.host.deliver(channel.toString('utf8', this.prefixBytes), message);
  }

  private onError(error: Error): void {
    if (!this.ending) this.host.error(error);
  }
}
