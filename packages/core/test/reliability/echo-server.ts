/**
 * The parent's side of echo-server-process.ts: starts it (TypeScript through
 * packages/bench/ts-register.js, with --expose-gc), asks for its figures over IPC, and tells
 * whether it is still alive. Used by the fuzz test, `pnpm fuzz` and `pnpm soak`. (Like
 * hardening-child.ts's ServerProcess, with deadlines for a machine shared with other work.)
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { forkScript } from '../helpers/child-process';
import { delay, withTimeout } from '../helpers/events';

export interface EchoServerStats {
  heapUsed: number;
  rss: number;
  arrayBuffers: number;
  external: number;
  /** Peak resident set size of the process so far (getrusage). */
  maxRss: number;
  /** Connections open now. */
  clients: number;
  /** Connections accepted so far. */
  connections: number;
  messages: number;
  errors: number;
  /** Close codes the server's connections ended with ('3000-4999' for application codes). */
  closes: Record<string, number>;
}

/** Starting transpiles the sources in the child: on a loaded machine that takes a while. */
const START_MS = 60_000;
/** A stats request runs a full GC at most: this is for a machine under heavy load. */
const STATS_MS = 15_000;

export class EchoServer {
  /** The port it listens on. */
  port = 0;
  private stderrText = '';
  private nextId = 1;
  private readonly pending = new Map<number, (stats: EchoServerStats) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString()));
    child.on('message', (message: EchoServerStats & { id?: number }) => {
      const resolve = message.id === undefined ? undefined : this.pending.get(message.id);
      this.pending.delete(message.id!);
      resolve?.(message);
    });
  }

  static async start(options: { deflate: boolean; maxPayload?: number }): Promise<EchoServer> {
    const child = forkScript(path.join(__dirname, 'echo-server-process.ts'), {
      args: [JSON.stringify(options)],
      execArgv: ['--expose-gc'],
    });
    const server = new EchoServer(child);
    const listening = new Promise<number>((resolve, reject) => {
      child.on('message', (message: { type?: string; port?: number }) => {
        if (message.type === 'listening') resolve(message.port!);
      });
      child.once('exit', (code) => reject(new Error(`echo server exited (${code}):\n${server.stderr}`)));
    });
    try {
      server.port = await withTimeout(listening, START_MS, 'the echo server process to listen');
    } catch (error) {
      server.kill();
      throw error;
    }
    return server;
  }

  /** True while the process has not exited. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the process wrote to stderr (an uncaught exception's stack, say). */
  get stderr(): string {
    return this.stderrText;
  }

  /** Its figures now; with `gc`, after two full collections. */
  stats(gc = false): Promise<EchoServerStats> {
    const id = this.nextId++;
    const answer = new Promise<EchoServerStats>((resolve) => this.pending.set(id, resolve));
    this.child.send({ id, command: 'stats', gc });
    return withTimeout(answer, STATS_MS, 'echo server stats');
  }

  /** Waits until every connection is gone; returns the stats that showed it. */
  async drained(ms = 30_000): Promise<EchoServerStats> {
    const deadline = Date.now() + ms;
    for (;;) {
      const stats = await this.stats();
      if (stats.clients === 0) return stats;
      if (Date.now() > deadline) throw new Error(`${stats.clients} connections still open after ${ms} ms`);
      await delay(20);
    }
  }

  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}
