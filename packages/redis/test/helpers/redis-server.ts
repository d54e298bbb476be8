/**
 * Real `redis-server` processes for tests (Debian's package): one server on a free port with
 * persistence off, or a 3-master Redis Cluster, each started, awaited, killed and restarted on
 * the same port by the test.
 *
 * When `redis-server` is not installed, `describeWithRedis` skips its block with a message saying
 * so, except under `CI=true`, where a missing Redis fails (.ci/run installs it).
 *
 * Reused by examples/cluster: import { RedisServer, describeWithRedis } from this file.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const REDIS_SERVER = 'redis-server';
const REDIS_CLI = 'redis-cli';

/** The path of `name` on PATH, or undefined. */
function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether redis-server and redis-cli are installed. */
export function redisInstalled(): boolean {
  return which(REDIS_SERVER) !== undefined && which(REDIS_CLI) !== undefined;
}

/**
 * `describe` when Redis is installed; otherwise, outside CI, `describe.skip` with a message, and
 * under `CI=true` a block whose one test fails saying Redis is missing.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (redisInstalled()) {
    describe(name, body);
    return;
  }
  const message = `${name}: redis-server not found on PATH (apt-get install redis-server)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs redis-server', () => {
        throw new Error(`${message}: required under CI=true`);
      });
    });
    return;
  }

  console.warn(`SKIPPED ${message}`);
  describe.skip(name, body);
}

/** Whether something accepts connections on 127.0.0.1:`port`. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/**
 * A free port; with `bus`, one whose cluster bus port (port + 10000) is free too. The OS picks
 * it (port 0) and it is released before Redis binds it: the usual small race, fine for tests.
 */
export async function freePort(bus = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (!bus) return port;
    if (port <= 55535 && !(await portInUse(port + 10000))) return port;
  }
  throw new Error('no free port found');
}

/** Sends one inline command and resolves with the first reply line, or rejects. */
export function redisCommand(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command} on port ${port}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (!reply.includes('\r\n')) return;
      // A bulk reply ($n) spans two lines: wait for the body.
      if (reply.startsWith('$') && !reply.startsWith('$-1')) {
        const length = Number(reply.slice(1, reply.indexOf('\r\n')));
        const start = reply.indexOf('\r\n') + 2;
        if (reply.length < start + length + 2) return;
        finish(reply.slice(start, start + length));
        return;
      }
      finish(reply.slice(0, reply.indexOf('\r\n')));
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    function finish(line: string): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    }
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every server started here, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[];
}

/** One `redis-server` on 127.0.0.1, persistence off (`--save '' --appendonly no`). */
export class RedisServer {
  port = 0;
  private child: ChildProcess | undefined;
  private log = '';
  private readonly dir: string;

  constructor(private readonly options: RedisServerOptions = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-redis-'));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /** Starts on `port` (a free one the first time) and resolves once it answers PING. */
  async start(port?: number, bus = false): Promise<this> {
    if (this.child !== undefined) throw new Error('redis-server already running');
    this.port = port ?? (this.port || (await freePort(bus)));
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
      ...(this.options.args ?? []),
    ];
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    this.log = '';
    child.stdout.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    let exited = false;
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (exited) throw new Error(`redis-server on port ${this.port} exited:\n${this.log}`);
      try {
        if ((await redisCommand(this.port, 'PING', 500)) === '+PONG') return this;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} not ready:\n${this.log}`);
      await sleep(20);
    }
  }

  /** SIGKILL (a crash: nothing is saved, clients see the connection drop) and wait for exit. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM and wait for exit. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** Killed and started again on the same port: an empty Redis (persistence is off). */
  async restart(): Promise<void> {
    await this.kill();
    await this.start(this.port);
  }

  /** Stops it and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

function redisCli(args: string[], timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(REDIS_CLI, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`redis-cli ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * A Redis Cluster of three masters, no replicas, on free ports (each with its bus port free), joined
 * with `redis-cli --cluster create`; resolves once every node reports `cluster_state:ok`.
 */
export class RedisCluster {
  readonly nodes: RedisServer[] = [];

  get ports(): number[] {
    return this.nodes.map((node) => node.port);
  }

  async start(masters = 3): Promise<this> {
    for (let i = 0; i < masters; i++) {
      const node = new RedisServer({
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${i}.conf`,
          '--cluster-node-timeout',
          '2000',
        ],
      });
      this.nodes.push(node);
      await node.start(undefined, true);
    }
    await redisCli([
      '--cluster',
      'create',
      ...this.ports.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    await this.waitForOk();
    return this;
  }

  /** Resolves once every running node says `cluster_state:ok`. */
  async waitForOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let ok = true;
      for (const node of this.nodes) {
        if (!node.isRunning) continue;
        const info = await redisCli(['-p', String(node.port), 'cluster', 'info']).catch(() => '');
        if (!info.includes('cluster_state:ok')) ok = false;
      }
      if (ok) return;
      if (Date.now() > deadline) throw new Error('cluster not ok in time');
      await sleep(100);
    }
  }

  async dispose(): Promise<void> {
    for (const node of this.nodes) await node.dispose();
  }
}
