import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { rejectUnknownOptions } from '@ws/core';

/** How messages travel between processes; see the README's model. */
export type RedisAdapterMode = 'pubsub' | 'streams';

/** Options of `redisAdapter()`. Every field is optional; see the README's options table. */
export interface RedisAdapterOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * An existing ioredis client, used as a template: the adapter `duplicate()`s it (same host,
   * auth, TLS, Sentinel settings) for its own connections and never closes or reconfigures yours.
   */
  client?: Redis;
  /** More ioredis options (password, tls, retryStrategy, ...), merged under the adapter's own. */
  redisOptions?: RedisOptions;
  /** Run on a Redis Cluster with sharded pub/sub (SSUBSCRIBE / SPUBLISH, Redis 7). Pub/sub mode only. */
  cluster?: {
    /** The seed nodes ioredis starts from (at least one); it discovers the rest. */
    nodes: ClusterNode[];
    /** More ioredis Cluster options, merged under the adapter's own. */
    options?: ClusterOptions;
  };
  /** `'pubsub'` (default) or `'streams'`. Every process on the same prefix must use the same mode. */
  mode?: RedisAdapterMode;
  /** Prepended to every channel and stream key, so two applications can share one Redis. Default `'ws:'`. */
  prefix?: string;
  /** Streams mode: each topic's stream is trimmed to about this many entries (XADD MAXLEN ~). Default 10000. */
  maxLen?: number;
  /** Streams mode: entries read per stream per XREAD call (XREAD COUNT). Default 1000. */
  readCount?: number;
  /** Streams mode: publishes kept locally while Redis is away (and recent ones, for replay after a Redis restart). Default 10000. */
  bufferMessages?: number;
  /** Streams mode: the same bound in bytes (envelopes included). Default 16 MiB. */
  bufferBytes?: number;
}

/** {@link RedisAdapterOptions} once validated, with every default filled in (`plugin.options`). */
export interface ResolvedRedisAdapterOptions {
  /** The URL connected to; the default when `client` or `cluster` is given (and then unused). */
  readonly url: string;
  /** The client given as a template, if any. */
  readonly client: Redis | undefined;
  /** A copy of the ioredis options given (empty when none). */
  readonly redisOptions: RedisOptions;
  /** The cluster given, if any, with a copy of its options. */
  readonly cluster:
    | {
        /** The seed nodes, as given. */
        nodes: ClusterNode[];
        /** A copy of the Cluster options given (empty when none). */
        options: ClusterOptions;
      }
    | undefined;
  /** `'pubsub'` unless `'streams'` was asked for. */
  readonly mode: RedisAdapterMode;
  /** Prepended to every channel and stream key. */
  readonly prefix: string;
  /** Streams mode: the approximate length each topic's stream is trimmed to. */
  readonly maxLen: number;
  /** Streams mode: entries read per stream per XREAD call. */
  readonly readCount: number;
  /** Streams mode: publishes the local buffer holds at most. */
  readonly bufferMessages: number;
  /** Streams mode: bytes the local buffer holds at most. */
  readonly bufferBytes: number;
}

/** The default `url`: a Redis on this machine's standard port. */
export const DEFAULT_URL = 'redis://127.0.0.1:6379';
/** The default `prefix` of channel and stream keys. */
export const DEFAULT_PREFIX = 'ws:';
/** The default `maxLen`: entries kept per topic stream. */
export const DEFAULT_MAX_LEN = 10_000;
/** The default `readCount`: entries per stream per XREAD. */
export const DEFAULT_READ_COUNT = 1000;
/** The default `bufferMessages`: publishes kept locally in streams mode. */
export const DEFAULT_BUFFER_MESSAGES = 10_000;
/** The default `bufferBytes` (16 MiB): the local buffer's bound in bytes. */
export const DEFAULT_BUFFER_BYTES = 16 * 1024 * 1024;

const KNOWN_KEYS = new Set([
  'url',
  'client',
  'redisOptions',
  'cluster',
  'mode',
  'prefix',
  'maxLen',
  'readCount',
  'bufferMessages',
  'bufferBytes',
]);

/** Validates `options` and applies the defaults; throws a TypeError or RangeError naming the option. */
export function resolveOptions(options: RedisAdapterOptions = {}): ResolvedRedisAdapterOptions {
  if (options === null || typeof options !== 'object') throw new TypeError('redisAdapter: options must be an object');
  rejectUnknownOptions('redisAdapter', options, KNOWN_KEYS);
  const mode = options.mode ?? 'pubsub';
  if (mode !== 'pubsub' && mode !== 'streams') {
    throw new TypeError(`redisAdapter: mode must be 'pubsub' or 'streams', got ${String(mode)}`);
  }
  const sources = [options.url, options.client, options.cluster].filter((value) => value !== undefined).length;
  if (sources > 1) throw new TypeError('redisAdapter: give one of url, client and cluster');
  if (options.url !== undefined && typeof options.url !== 'string')
    throw new TypeError('redisAdapter: url must be a string');
  if (options.client !== undefined && typeof (options.client as { duplicate?: unknown }).duplicate !== 'function') {
    throw new TypeError('redisAdapter: client must be an ioredis client');
  }
  if (options.cluster !== undefined) {
    if (!Array.isArray(options.cluster.nodes) || options.cluster.nodes.length === 0) {
      throw new TypeError('redisAdapter: cluster.nodes must list at least one node');
    }
    // Streams mode reads every subscribed topic with one XREAD, which a Cluster refuses across slots.
    if (mode === 'streams') throw new TypeError("redisAdapter: a cluster runs in mode 'pubsub' (sharded pub/sub)");
  }
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError('redisAdapter: prefix must be a string');
  return {
    url: options.url ?? DEFAULT_URL,
    client: options.client,
    redisOptions: { ...options.redisOptions },
    cluster: options.cluster && { nodes: options.cluster.nodes, options: { ...options.cluster.options } },
    mode,
    prefix,
    maxLen: positiveInteger('maxLen', options.maxLen, DEFAULT_MAX_LEN),
    readCount: positiveInteger('readCount', options.readCount, DEFAULT_READ_COUNT),
    bufferMessages: positiveInteger('bufferMessages', options.bufferMessages, DEFAULT_BUFFER_MESSAGES),
    bufferBytes: positiveInteger('bufferBytes', options.bufferBytes, DEFAULT_BUFFER_BYTES),
  };
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`redisAdapter: ${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`redisAdapter: ${name} must be a positive integer`);
  return value;
}

/** The type of a connection the adapter made: a standalone client or a cluster. */
export type RedisConnection = Redis | Cluster;
