/**
 * Child processes for the hardening tests (integration/hardening.test.ts, lifecycle.test.ts),
 * started through child-process.ts (TypeScript via packages/bench/ts-register.js, node flags via `execArgv`).
 *
 * - `useServerProcesses(script?)`: a @ws/core server in its own `node --expose-gc` process
 *   (hardening-server-process.ts, or another child of the same IPC protocol). Memory is measured
 *   there, after a full GC, so neither jest nor the test's own client (which share the test's
 *   heap) blur the numbers; a child that crashes fails what waits on it with its stderr.
 * - `runHardeningFixture(name, args)`: runs a `hardening-fixture-*.ts` script and returns the JSON
 *   it prints last, for behaviour jest cannot host (a listener's uncaught exception).
 *
 * Every server process started by `useServerProcesses` is killed in `afterEach`.
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ServerOptions } from '@ws/core';
import { forkScript, runScript } from './child-process';
import { DEFAULT_WAIT_MS, delay, withTimeout } from './events';

/** What the server process reports about itself and its first connection. */
export interface ServerProcessStats {
  heapUsed: number;
  arrayBuffers: number;
  rss: number;
  /** The first connection's `bufferedAmount` now, and the largest seen at any ping or message. */
  bufferedAmount: number;
  maxBufferedAmount: number;
  /** Bytes the first connection's socket has read, the HTTP request included. */
  bytesRead: number;
  clients: number;
  messages: Array<{ length: number; sha1: string; isBinary: boolean }>;
  closes: number[];
}

export class ServerProcess {
  /** The port it listens on, once `start` resolved. */
  port = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (answer: unknown) => void; reject: (error: Error) => void }>();
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    child.on('message', (message: { id?: number }) => {
      const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
      if (waiter === undefined) return;
      this.pending.delete(message.id!);
      waiter.resolve(message);
    });
    // A child that crashed fails what waits on it with its stderr, not with a timeout.
    child.once('exit', (code, signal) => {
      const error = new Error(`server process exited (${code ?? signal}):\n${this.stderr}`);
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    });
  }

  /** Whether the process is still alive. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the server is listening (the first start transpiles the sources: allow time). */
  async start(): Promise<this> {
    const listening = new Promise<number>((resolve, reject) => {
      this.child.on('message', (message: { type?: string; port?: number }) => {
        if (message.type === 'listening') resolve(message.port!);
      });
      this.child.once('exit', (code) => reject(new Error(`server process exited (${code}):\n${this.stderr}`)));
    });
    this.port = await withTimeout(listening, 15_000, 'server process to listen');
    return this;
  }

  /** Its state now; with `gc` (the default) after two full collections, for memory figures. */
  stats(gc = true): Promise<ServerProcessStats> {
    return this.ask('stats', { gc });
  }

  /** Sends `command` (with `fields`) and resolves with the child's answer. */
  ask<T = ServerProcessStats>(command: string, fields: object = {}, ms = DEFAULT_WAIT_MS): Promise<T> {
    if (!this.running) return Promise.reject(new Error(`server process exited:\n${this.stderr}`));
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) =>
      this.pending.set(id, { resolve: resolve as (answer: unknown) => void, reject }),
    );
    this.child.send({ ...fields, id, command });
    return withTimeout(answer, ms, `server process ${command}`);
  }

  /** Polls (without GC) until `predicate` holds, and returns the stats that satisfied it. */
  async until<T = ServerProcessStats>(
    predicate: (stats: T) => boolean,
    what: string,
    ms = DEFAULT_WAIT_MS,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const stats = await this.ask<T>('stats', { gc: false });
      if (predicate(stats)) return stats;
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
      await delay(10);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * A server process, listening; the caller kills it (see `useServerProcesses` for per-test ones).
 * `script` is another child of the same IPC protocol (slow-consumer-server-process.ts, say).
 */
export function startServerProcess(
  options: ServerOptions = {},
  flags: object = {},
  script = 'hardening-server-process.ts',
): Promise<ServerProcess> {
  const child = forkScript(path.join(__dirname, script), {
    args: [JSON.stringify(options), JSON.stringify(flags)],
    execArgv: ['--expose-gc'],
  });
  const server = new ServerProcess(child);
  return server.start().catch((error: unknown) => {
    server.kill();
    throw error;
  });
}

/** Starts server processes (of `script`) on demand; each is killed after the test. */
export function useServerProcesses<Flags extends object = { echo?: boolean; keepHeader?: string }>(
  script?: string,
): (options?: ServerOptions, flags?: Flags) => Promise<ServerProcess> {
  const started: ServerProcess[] = [];
  afterEach(() => {
    for (const server of started.splice(0)) server.kill();
  });
  return async (options, flags) => {
    const server = await startServerProcess(options, flags, script);
    started.push(server);
    return server;
  };
}

/** Runs `hardening-fixture-<name>.ts` in a child `node` and returns the JSON it printed last. */
export function runHardeningFixture(name: string, args: string[] = [], timeoutMs?: number): Promise<unknown> {
  return runScript(path.join(__dirname, `hardening-fixture-${name}.ts`), { args, timeoutMs });
}
