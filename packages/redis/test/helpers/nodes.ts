/**
 * The parent side of multi-process tests: server processes running redis-node.ts (started
 * through packages/bench/ts-register.js, like core's child processes), and `ws` clients that
 * record what each receives.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { DropReport, RedisAdapterOptions } from '@ws/redis';

const ROOT = path.resolve(__dirname, '../../../..');
const TS_REGISTER = path.join(ROOT, 'packages', 'bench', 'ts-register.js');
const NODE_SCRIPT = path.join(__dirname, 'redis-node.ts');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` until true, or rejects after `ms` saying what was awaited. */
export async function until(predicate: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(20);
  }
}

export interface NodeStats {
  dropped: DropReport[];
  events: { error: number; disconnect: number; reconnect: number; reset: number };
  connected: boolean;
  clients: number;
}

/** One server process with the adapter. */
export class RedisNode {
  port = 0;
  stderr = '';
  private nextId = 1;
  private readonly pending = new Map<number, (reply: any) => void>();
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(options: RedisAdapterOptions, flags: { listenErrors?: boolean } = { listenErrors: true }) {
    this.child = fork(NODE_SCRIPT, [JSON.stringify(options), JSON.stringify(flags)], {
      cwd: ROOT,
      execArgv: ['-r', TS_REGISTER],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on('message', (message: { id?: number }) => {
      const resolve = message.id === undefined ? undefined : this.pending.get(message.id);
      if (resolve === undefined) return;
      this.pending.delete(message.id!);
      resolve(message);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Resolves once listening (the first start transpiles the sources: allow time). */
  start(): Promise<this> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server process not listening:\n${this.stderr}`)), 60_000);
      this.child.on('message', (message: { type?: string; port?: number }) => {
        if (message.type !== 'listening') return;
        clearTimeout(timer);
        this.port = message.port!;
        resolve(this);
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`server process exited (${code}):\n${this.stderr}`));
      });
    });
  }

  private request<T>(command: object, ms = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(command)}:\n${this.stderr}`)), ms);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply as T);
      });
      this.child.send({ id, ...command });
    });
  }

  connected(ms = 30_000): Promise<void> {
    return this.request({ command: 'connected' }, ms);
  }

  subscribed(topic: string): Promise<void> {
    return this.request({ command: 'subscribed', topic });
  }

  publish(options: {
    topic: string;
    publisher: string;
    from?: number;
    count: number;
    binaryEvery?: number;
    padding?: number;
  }): Promise<void> {
    return this.request({ command: 'publish', ...options });
  }

  stats(): Promise<NodeStats> {
    return this.request({ command: 'stats' });
  }

  /** `server.close()` in the child; resolves with its exit code, or rejects if it does not exit by itself. */
  async close(ms = 10_000): Promise<number | null> {
    await this.request({ command: 'close' });
    const timeout = sleep(ms).then(() => 'timeout' as const);
    const result = await Promise.race([this.exited, timeout]);
    if (result === 'timeout') {
      this.kill();
      throw new Error(`server process did not exit within ${ms} ms of server.close():\n${this.stderr}`);
    }
    return result;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  get isAlive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
}

/** What one client received: text as text and binary as binary. */
export interface Received {
  text: boolean;
  data: string;
}

/** A `ws` client on a node, joined to `topics`, recording every message. */
export class Client {
  readonly received: Received[] = [];
  readonly socket: WebSocket;

  constructor(port: number, topics: string[]) {
    this.socket = new WebSocket(`ws://127.0.0.1:${port}/?topics=${topics.map(encodeURIComponent).join(',')}`);
    this.socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.received.push({ text: !isBinary, data: data.toString() });
    });
    this.socket.on('error', () => undefined);
  }

  opened(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Opens a client on `node` joined to `topics`, kept in `clients` so the test can close them all. */
export async function join(node: RedisNode, topics: string[], clients: Client[]): Promise<Client> {
  const client = new Client(node.port, topics);
  clients.push(client);
  await client.opened();
  return client;
}

/**
 * Checks `received` against the publishes `<publisher>:<i>`, i in [0, counts[publisher]):
 * each exactly once, in order per publisher, binary where i % binaryEvery === 0. Returns a list
 * of problems (empty when all is well), so a failing test says what went wrong.
 */
export function checkExactlyOnce(received: Received[], counts: Record<string, number>, binaryEvery = 0): string[] {
  const problems: string[] = [];
  const next: Record<string, number> = {};
  for (const publisher of Object.keys(counts)) next[publisher] = 0;
  for (const message of received) {
    const [publisher, index] = message.data.split(':');
    const i = Number(index);
    if (!(publisher in counts)) {
      problems.push(`unexpected message ${message.data.slice(0, 40)}`);
      continue;
    }
    if (i !== next[publisher]) problems.push(`${publisher}: got ${i}, expected ${next[publisher]}`);
    next[publisher] = i + 1;
    const binary = binaryEvery > 0 && i % binaryEvery === 0;
    if (message.text === binary) problems.push(`${publisher}:${i} arrived as ${message.text ? 'text' : 'binary'}`);
  }
  for (const [publisher, count] of Object.entries(counts)) {
    const got = received.filter((message) => message.data.startsWith(`${publisher}:`)).length;
    if (got !== count) problems.push(`${publisher}: ${got} messages, expected ${count}`);
  }
  return problems.slice(0, 20);
}
