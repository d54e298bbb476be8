/**
 * The parent's side of echo-server-process.ts: starts it (TypeScript through
 * packages/bench/ts-register.js, with --expose-gc), asks for its figures, and tells whether it
 * is still alive. Used by the fuzz test, `pnpm fuzz` and `pnpm soak`.
 */
import * as path from 'node:path';
import { forkScript } from '../helpers/child-process';
import { ServerProcess } from '../helpers/hardening-child';

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

export class EchoServer {
  private stderrText = '';

  private constructor(
    private readonly process: ServerProcess,
    private readonly child: ReturnType<typeof forkScript>,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString()));
  }

  static async start(options: { deflate: boolean; maxPayload?: number }): Promise<EchoServer> {
    const child = forkScript(path.join(__dirname, 'echo-server-process.ts'), {
      args: [JSON.stringify(options)],
      execArgv: ['--expose-gc'],
    });
    const server = new EchoServer(new ServerProcess(child), child);
    try {
      await server.process.start();
    } catch (error) {
      server.kill();
      throw error;
    }
    return server;
  }

  get port(): number {
    return this.process.port;
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
  async stats(gc = false): Promise<EchoServerStats> {
    return (await this.process.stats(gc)) as unknown as EchoServerStats;
  }

  /** Waits until every connection is gone; returns the stats that showed it. */
  async drained(ms = 10_000): Promise<EchoServerStats> {
    return (await this.process.until((stats) => stats.clients === 0, 'every connection to close', ms)) as unknown as EchoServerStats;
  }

  kill(): void {
    this.process.kill();
  }
}
