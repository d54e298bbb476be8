/**
 * Starts the chat as several processes joined by Redis:
 *
 *   startCluster ──fork──> worker 1  (http + WebSocket on its port) ─┐
 *                ──fork──> worker 2                                  ├── Redis pub/sub
 *                ──fork──> worker N                                  ┘
 *                ──spawn─> redis-server (a throwaway one, when no Redis URL is given)
 *
 * One process per port, so a page shows which process it talks to and a test can pick one.
 * The workers run the TypeScript sources through the repository's loader (no build step).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
// The repository's one way to run a throwaway redis-server (free port, persistence off), shared
// with @ws/redis's tests.
import { RedisServer, redisInstalled } from '../../../packages/redis/test/helpers/redis-server';

export interface ClusterOptions {
  /** Worker processes. Default 3. */
  workers?: number;
  /** Address the workers listen on. Default `127.0.0.1`. */
  host?: string;
  /** Worker i listens on `port + i - 1`; `0` gives each a free port. Default 8080. */
  port?: number;
  /** An existing Redis; without it a local `redis-server` is started and stopped with the cluster. */
  redisUrl?: string;
  /** Receives the workers' log lines. Default: silent. */
  log?: (line: string) => void;
}

export interface WorkerInfo {
  /** 1…N */
  readonly index: number;
  readonly pid: number;
  /** The page this worker serves, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  /** Its WebSocket endpoint, e.g. `ws://127.0.0.1:8080/chat`. */
  readonly wsUrl: string;
}

export interface ClusterHandle {
  readonly workers: readonly WorkerInfo[];
  readonly redisUrl: string;
  /** Whether the cluster started its own redis-server. */
  readonly ownsRedis: boolean;
  /** Stops every worker (each closes its clients with 1001) and the redis-server it started. */
  close(): Promise<void>;
}

const WORKER = join(__dirname, 'worker.ts');
const TS_LOADER = join(__dirname, '..', '..', '..', 'packages', 'bench', 'ts-register.js');
/** A first start transpiles every source (cached for the next): slow on a loaded machine. */
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startCluster(options: ClusterOptions = {}): Promise<ClusterHandle> {
  const count = options.workers ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`workers must be a positive integer, not ${count}`);
  const basePort = options.port ?? 8080;
  if (options.redisUrl === undefined && !redisInstalled()) {
    throw new Error(
      'redis-server not found on PATH: install it (apt-get install redis-server) or give a Redis URL (REDIS_URL)',
    );
  }
  const redis = options.redisUrl === undefined ? await new RedisServer().start() : undefined;
  const redisUrl = options.redisUrl ?? redis!.url;

  const children: ChildProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    await redis?.dispose();
  };
  const startWorker = (i: number): Promise<WorkerInfo> => {
    const child = fork(WORKER, [], {
      execArgv: ['-r', TS_LOADER],
      env: {
        ...process.env,
        CLUSTER_WORKER: String(i + 1),
        CLUSTER_WORKERS: String(count),
        CLUSTER_HOST: options.host ?? '127.0.0.1',
        CLUSTER_PORT: String(basePort === 0 ? 0 : basePort + i),
        REDIS_URL: redisUrl,
      },
      silent: true, // stdout and stderr piped here, line by line, to `log`
    });
    children.push(child);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => options.log?.(line));
    }
    return listening(child, i + 1);
  };
  try {
    // The first worker alone: it fills the loader's cache, and the others start from it.
    const first = await startWorker(0);
    const others = await Promise.all(Array.from({ length: count - 1 }, (_, i) => startWorker(i + 1)));
    const workers = [first, ...others];
    let closed: Promise<void> | undefined;
    return {
      workers,
      redisUrl,
      ownsRedis: redis !== undefined,
      close: () => (closed ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Resolves with the worker's address once it listens; rejects if it exits or takes too long. */
function listening(child: ChildProcess, index: number): Promise<WorkerInfo> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker ${index} did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker ${index} exited before listening (${signal ?? code})`));
    });
    child.once('message', (message: { type: string; url: string; port: number; pid: number }) => {
      clearTimeout(timer);
      const wsUrl = `${message.url.replace(/^http/, 'ws')}chat`;
      resolve({ index, pid: message.pid, url: message.url, wsUrl });
    });
  });
}

/** SIGTERM (the worker closes its clients with 1001), then SIGKILL if it has not exited in time. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
