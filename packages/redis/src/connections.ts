/**
 * The ioredis connections the adapter opens, all with the same three settings, because the
 * adapter (not the client) decides what happens to a command while Redis is away:
 *
 * - `enableOfflineQueue: false`: a command issued while disconnected fails at once instead of
 *   waiting in ioredis' queue, so pub/sub mode can report it and streams mode keeps it in its own
 *   bounded, ordered buffer.
 * - `autoResendUnfulfilledCommands: false`, `maxRetriesPerRequest: 0`: a PUBLISH or XADD in
 *   flight when the connection broke is rejected, not sent again behind our back (it may have been
 *   applied: a resend could duplicate); the adapter decides.
 * - `autoResubscribe: false`: the adapter resubscribes from its own set of topics, which also
 *   holds topics opened while Redis was away (ioredis only remembers confirmed subscriptions).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { ResolvedRedisAdapterOptions } from './options';

const ADAPTER_SETTINGS: RedisOptions = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  autoResubscribe: false,
  // Without resending, ioredis leaves the commands that were in flight pending forever (ioredis
  // 6.0.0, event_handler.ts); 0 retries rejects them as soon as the connection closes.
  maxRetriesPerRequest: 0,
};

/** A standalone connection for `role` (its CLIENT SETNAME, visible in CLIENT LIST). */
export function connectStandalone(options: ResolvedRedisAdapterOptions, role: string): Redis {
  const settings: RedisOptions = { ...ADAPTER_SETTINGS, connectionName: `ws-redis-${role}` };
  if (options.client !== undefined) return options.client.duplicate(settings);
  return new Redis(options.url, { ...options.redisOptions, ...settings });
}

/**
 * A cluster client with one sharded subscriber connection per master (ioredis' `shardedSubscribers`).
 * Its offline queue stays on (ioredis keeps it on for each node's connection anyway): ioredis
 * opens node connections lazily with their first command, and with the cluster's queue off a
 * command meeting a node connection still connecting is failed as "closed" and retried on a
 * random node, to come back through a MOVED redirect after later ones: out of order. The adapter
 * itself never publishes while the cluster is not ready. For the same reason a command that meets
 * a closed node connection is failed (`retryDelayOnFailover: 0`: reported as unconfirmed) rather
 * than retried on a random node, and node connections reconnect by themselves
 * (`clusterNodeRetryStrategy`), queueing what is sent meanwhile in order, so a master restarted
 * on its address is used again without waiting for a MOVED.
 */
export function connectCluster(options: ResolvedRedisAdapterOptions): Cluster {
  const { nodes, options: clusterOptions } = options.cluster!;
  return new Cluster(nodes, {
    retryDelayOnFailover: 0,
    clusterNodeRetryStrategy: (times: number) => Math.min(50 * 2 ** (times - 1), 2000),
    ...clusterOptions,
    shardedSubscribers: true,
    redisOptions: {
      ...options.redisOptions,
      ...clusterOptions.redisOptions,
      ...ADAPTER_SETTINGS,
      connectionName: 'ws-redis',
    },
  });
}

/** How long a graceful QUIT may take before the socket is simply closed. */
const QUIT_TIMEOUT_MS = 1000;

/**
 * Ends a connection: QUIT when it is up (replies to commands already sent still arrive), a plain
 * disconnect otherwise or after QUIT_TIMEOUT_MS. Resolves once it is closed; never rejects.
 */
export function endConnection(connection: Redis | Cluster): Promise<void> {
  return new Promise((resolve) => {
    if (connection.status === 'end') return resolve();
    const timer = setTimeout(() => connection.disconnect(), QUIT_TIMEOUT_MS);
    timer.unref();
    connection.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    if (connection.status === 'ready') {
      connection.quit().catch(() => connection.disconnect());
    } else {
      connection.disconnect();
    }
  });
}
