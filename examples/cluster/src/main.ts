#!/usr/bin/env node
/**
 * `npx -y pnpm@10 run cluster` (from the repository's root): the chat as WORKERS processes
 * (default 3) on ports PORT, PORT + 1, … (default 8080), joined by Redis at REDIS_URL, or by a
 * local redis-server started for the run when REDIS_URL is not set.
 */
import { startCluster } from './cluster';

function whole(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a whole number, not ${raw}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<void> {
  const cluster = await startCluster({
    workers: whole('WORKERS', 3),
    port: whole('PORT', 8080),
    host: process.env.HOST || '127.0.0.1',
    redisUrl: process.env.REDIS_URL || undefined,
    log: (line) => console.log(`[${new Date().toISOString()}] ${line}`),
  });
  const redis = cluster.ownsRedis ? `a redis-server started for this run (${cluster.redisUrl})` : cluster.redisUrl;
  console.log(`Chat cluster: ${cluster.workers.length} processes joined by ${redis}.`);
  for (const worker of cluster.workers) console.log(`  worker ${worker.index} (pid ${worker.pid}): ${worker.url}`);
  console.log('Open two of these addresses in two windows: each page shows its process (Ctrl+C to stop).');

  const stop = (): void => {
    console.log('stopping');
    void cluster.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
