import { EventEmitter } from 'eventemitter3';
import type { Plugin, PluginInstance, Server } from '@ws/core';
import { Dedupe } from './dedupe';
import { decodeEnvelope, encodeEnvelope, isFrom, newOrigin } from './envelope';
import { resolveOptions, type RedisAdapterOptions, type ResolvedRedisAdapterOptions } from './options';
import { PubSubTransport } from './pubsub-transport';
import { DropCounter, type DropReason, type DropReport } from './reports';
import { StreamsTransport } from './streams-transport';
import type { Transport, TransportHost } from './transport';

/**
 * Events of the plugin returned by `redisAdapter()` (an eventemitter3 emitter: an `error` with no
 * listener is simply not heard, it never throws). Each carries the adapter of the server concerned.
 */
export interface RedisAdapterEvents {
  /** A Redis connection failed or Redis refused a command. The adapter keeps going (and reconnects). */
  error: (error: Error, adapter: RedisAdapter) => void;
  /** Messages that were not (or not surely) handed to Redis, with counts; see `DropReason`. */
  dropped: (report: DropReport, adapter: RedisAdapter) => void;
  /** A connection to Redis was lost; local delivery goes on. */
  disconnect: (adapter: RedisAdapter) => void;
  /** Every connection is back and every topic subscribed again (after a `disconnect`). */
  reconnect: (adapter: RedisAdapter) => void;
  /** Streams mode: Redis came back without the data it had (restarted without persistence). */
  reset: (adapter: RedisAdapter) => void;
}

/**
 * The plugin: validated options, attachable to any number of servers, and the emitter of every
 * adapter's events. `new Server({ plugins: [redisAdapter({ url })] })`.
 */
export class RedisAdapterPlugin extends EventEmitter<RedisAdapterEvents> implements Plugin {
  readonly name = 'redis';
  /** The options as validated, with every default filled in; shared by every adapter of this plugin. */
  readonly options: ResolvedRedisAdapterOptions;
  private readonly adapters = new Map<Server, RedisAdapter>();

  constructor(options?: RedisAdapterOptions) {
    super();
    this.options = resolveOptions(options);
  }

  attach(server: Server): RedisAdapter {
    const adapter = new RedisAdapter(server, this);
    this.adapters.set(server, adapter);
    return adapter;
  }

  /** The adapter attached to `server`, for `whenSubscribed` and statistics. */
  adapterOf(server: Server): RedisAdapter | undefined {
    return this.adapters.get(server);
  }

  /** @internal */
  detach(server: Server): void {
    this.adapters.delete(server);
  }
}

/**
 * Cross-process publish for one server through Redis. `server.publish(topic, data)` is delivered
 * to this process's subscribers by core, then handed here (`onPublish`) and sent to Redis;
 * what other processes publish comes back from Redis and goes to `server.publishLocal`.
 */
export class RedisAdapter implements PluginInstance, TransportHost {
  /** The plugin's resolved options (the same object as `plugin.options`). */
  readonly options: ResolvedRedisAdapterOptions;
  /** This adapter's random id, carried by every message it sends. */
  readonly origin: Buffer = newOrigin();
  private readonly server: Server;
  private readonly plugin: RedisAdapterPlugin;
  private readonly transport: Transport;
  private readonly drops: DropCounter;
  /** Streams mode only: resends and re-reads are skipped by (topic, origin, sequence). */
  private readonly dedupe: Dedupe | undefined;
  private sequence = 0;
  private wasUp = false;
  private isDown = false;
  private closing: Promise<void> | undefined;
  private connectedWaiters: Array<() => void> = [];

  constructor(server: Server, plugin: RedisAdapterPlugin) {
    this.server = server;
    this.plugin = plugin;
    this.options = plugin.options;
    this.drops = new DropCounter((report) => this.plugin.emit('dropped', report, this));
    if (this.options.mode === 'streams') {
      this.dedupe = new Dedupe();
      this.transport = new StreamsTransport(this);
    } else {
      this.transport = new PubSubTransport(this);
    }
  }

  /** Connections this adapter holds to Redis (2, or 2 per master on a Cluster). */
  get connectionCount(): number {
    return this.transport.connectionCount;
  }

  /** Whether every connection to Redis is up with its subscriptions in place. */
  get isConnected(): boolean {
    return this.wasUp && !this.isDown;
  }

  /** Resolves once every connection to Redis is up with its subscriptions in place (now, if it is). */
  whenConnected(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }

  /**
   * Resolves once messages published to `topic` in any process from now on will reach this one
   * (the SUBSCRIBE was answered; in streams mode, the stream's position is known). The topic
   * needs a local subscriber first.
   */
  whenSubscribed(topic: string): Promise<void> {
    return this.transport.whenSubscribed(topic);
  }

  onTopicOpen(topic: string): void {
    if (this.closing === undefined) this.transport.open(topic);
  }

  onTopicClose(topic: string): void {
    if (this.closing !== undefined) return;
    this.transport.close(topic);
    this.dedupe?.forget(topic);
  }

  onPublish(topic: string, payload: Buffer, options: { binary: boolean; compress: boolean }): void {
    if (this.closing !== undefined) {
      this.drops.add('closed', 1, payload.length);
      return;
    }
    const message = encodeEnvelope(this.origin, ++this.sequence, payload, options.binary, options.compress);
    this.transport.publish(topic, message, payload.length);
  }

  /** Ends the Redis connections; what was still waiting for Redis is reported as `dropped`. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = this.transport.end().then(() => {
        this.drops.flush();
        this.plugin.detach(this.server);
      });
    }
    return this.closing;
  }

  /** @internal TransportHost */
  deliver(topic: string, message: Buffer): void {
    if (this.closing !== undefined || isFrom(message, this.origin)) return; // served locally already
    const envelope = decodeEnvelope(message);
    if (envelope === undefined) {
      this.error(
        new Error(
          `@ws/redis: ignored a message on topic ${JSON.stringify(topic)} that is not in this adapter's format`,
        ),
      );
      return;
    }
    if (this.dedupe !== undefined && !this.dedupe.accept(topic, envelope.origin, envelope.sequence)) return;
    try {
      this.server.publishLocal(topic, envelope.payload, { binary: envelope.binary, compress: envelope.compress });
    } catch (error) {
      this.error(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** @internal TransportHost */
  dropped(reason: DropReason, messages: number, bytes: number): void {
    this.drops.add(reason, messages, bytes);
  }

  /** @internal TransportHost */
  error(error: Error): void {
    this.plugin.emit('error', error, this);
  }

  /** @internal TransportHost */
  up(): void {
    if (this.closing !== undefined) return;
    const again = this.isDown && this.wasUp;
    this.isDown = false;
    this.wasUp = true;
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const resolve of waiters) resolve();
    if (again) this.plugin.emit('reconnect', this);
  }

  /** @internal TransportHost */
  down(): void {
    if (this.closing !== undefined || this.isDown) return;
    this.isDown = true;
    // Before the first `up` there was nothing to lose: no `disconnect`, and no `reconnect` later.
    if (this.wasUp) this.plugin.emit('disconnect', this);
  }

  /** @internal TransportHost */
  reset(): void {
    this.plugin.emit('reset', this);
  }
}

/** `new Server({ plugins: [redisAdapter({ url: 'redis://127.0.0.1:6379' })] })`; options are checked here. */
export function redisAdapter(options?: RedisAdapterOptions): RedisAdapterPlugin {
  return new RedisAdapterPlugin(options);
}
