/**
 * Whole fuzz runs, shared by the jest test (fuzz.test.ts) and `pnpm fuzz` (fuzz-cli.ts):
 * `fuzzSansIo` feeds cases to the sans-I/O Protocol, `fuzzSockets` to a live echo server in its
 * own process, several fuzz clients at once beside a healthy one. Both return a `Tally`.
 */
import { EchoServer, type EchoServerStats } from './echo-server';
import { describe as describeClose } from './expectation';
import { caseSeed, makeCase, type FuzzCase } from './fuzz-case';
import { SansIoRunner } from './sans-io-run';
import { HealthyClient, runSocketCase, type HealthyResult } from './socket-run';
import type { Profile } from './streams';

/** The limit the fuzzed servers run with: small enough that oversized cases stay cheap. */
export const FUZZ_MAX_PAYLOAD = 64 * 1024;
const KEPT_PROBLEMS = 20;

/** Counts by mutation and by close outcome, and the first problems found. */
export class Tally {
  streams = 0;
  readonly labels: Record<string, number> = {};
  readonly closes: Record<string, number> = {};
  readonly problems: string[] = [];
  problemCount = 0;

  add(fuzzCase: FuzzCase, close: number, problems: readonly string[], where: string): void {
    this.streams++;
    this.labels[fuzzCase.expect.label] = (this.labels[fuzzCase.expect.label] ?? 0) + 1;
    const key = close >= 3000 ? '3000-4999' : describeClose(close);
    this.closes[key] = (this.closes[key] ?? 0) + 1;
    if (problems.length === 0) return;
    this.problemCount++;
    if (this.problems.length < KEPT_PROBLEMS) {
      this.problems.push(`${where} case seed ${fuzzCase.seed} (${fuzzCase.expect.label}): ${problems.join('; ')}`);
    }
  }

  merge(other: Tally): void {
    this.streams += other.streams;
    for (const [key, n] of Object.entries(other.labels)) this.labels[key] = (this.labels[key] ?? 0) + n;
    for (const [key, n] of Object.entries(other.closes)) this.closes[key] = (this.closes[key] ?? 0) + n;
    this.problemCount += other.problemCount;
    this.problems.push(...other.problems.slice(0, Math.max(0, KEPT_PROBLEMS - this.problems.length)));
  }
}

export interface RunOptions {
  readonly seed: number;
  readonly count: number;
  /** Index of the first case (so a long run can be cut into pieces with one seed). */
  readonly first?: number;
  readonly onProgress?: (done: number) => void;
}

export interface SansIoTally extends Tally {
  peakBuffered: number;
}

/** `count` cases into fresh Protocols for `profile`. */
export async function fuzzSansIo(profile: Profile, options: RunOptions): Promise<SansIoTally> {
  const runner = new SansIoRunner(profile);
  const tally = Object.assign(new Tally(), { peakBuffered: 0 });
  const where = `sans-I/O${profile.deflate ? ' deflate' : ''}`;
  const first = options.first ?? 0;
  for (let i = first; i < first + options.count; i++) {
    const fuzzCase = makeCase(caseSeed(options.seed, i), profile);
    const result = await runner.run(fuzzCase.bytes, fuzzCase.cuts, fuzzCase.expect, fuzzCase.random);
    tally.add(fuzzCase, result.observed.close, result.problems, where);
    tally.peakBuffered = Math.max(tally.peakBuffered, result.peakBuffered);
    if ((i - first + 1) % 1000 === 0) options.onProgress?.(i - first + 1);
  }
  return tally;
}

export interface SocketRunOptions extends RunOptions {
  /** Fuzz clients at once. */
  readonly parallel: number;
}

export interface SocketTally extends Tally {
  healthy: HealthyResult;
  resets: number;
  /** Cases where the fuzz client reset the connection itself mid-stream. */
  aborted: number;
  /** The server process's figures before the run and after it (both after a full GC), and its peak RSS. */
  before: EchoServerStats;
  after: EchoServerStats;
  /** Problems with the server itself: it died, kept connections, or grew. */
  serverProblems: string[];
}

/** Heap the server may keep after a run, over what it had before (code compiled, pools warmed). */
const HEAP_GROWTH_LIMIT = 16 * 1024 * 1024;
/**
 * How far the server's peak RSS may rise over its start. A handful of connections with 64 KiB
 * messages and zlib state (about 300 KiB each) need a few MiB; growth without bound shows here.
 */
const PEAK_RSS_GROWTH_LIMIT = 96 * 1024 * 1024;

/** `count` cases against a live echo server in its own process, `parallel` at a time. */
export async function fuzzSockets(deflate: boolean, options: SocketRunOptions): Promise<SocketTally> {
  const profile: Profile = { deflate, maxPayload: FUZZ_MAX_PAYLOAD };
  const server = await EchoServer.start({ deflate, maxPayload: FUZZ_MAX_PAYLOAD });
  try {
    const before = await server.stats(true);
    const healthy = await HealthyClient.connect(server.port, deflate);
    healthy.start();
    const tally = new Tally();
    let resets = 0;
    let aborted = 0;
    const first = options.first ?? 0;
    let next = first;
    const where = `socket${deflate ? ' deflate' : ''}`;
    const worker = async (): Promise<void> => {
      while (next < first + options.count && server.alive) {
        const index = next++;
        const fuzzCase = makeCase(caseSeed(options.seed, index), profile);
        const result = await runSocketCase(server.port, fuzzCase, deflate);
        if (result.ending === 'reset') resets++;
        if (result.ending === 'aborted') aborted++;
        tally.add(fuzzCase, result.observed.close, result.problems, where);
        if (tally.streams % 1000 === 0) options.onProgress?.(tally.streams);
      }
    };
    await Promise.all(Array.from({ length: options.parallel }, worker));
    const healthyResult = await healthy.stop();
    const serverProblems: string[] = [];
    if (!server.alive) serverProblems.push(`the server process died:\n${server.stderr}`);
    const after = server.alive ? await server.drained().then(() => server.stats(true)) : before;
    if (after.heapUsed - before.heapUsed > HEAP_GROWTH_LIMIT) {
      serverProblems.push(`server heap grew by ${mib(after.heapUsed - before.heapUsed)} MiB`);
    }
    // maxRss is the process's lifetime peak: one reached while it started (loading and, on a cold
    // cache, transpiling its TypeScript) is not the run's, so only a peak the run set counts.
    const runPeakGrowth = after.maxRss > before.maxRss ? after.maxRss - before.rss : 0;
    if (runPeakGrowth > PEAK_RSS_GROWTH_LIMIT) {
      serverProblems.push(`server peak RSS ${mib(after.maxRss)} MiB, ${mib(runPeakGrowth)} MiB over its start`);
    }
    if (server.stderr.trim() !== '') serverProblems.push(`server wrote to stderr:\n${server.stderr}`);
    return Object.assign(tally, { healthy: healthyResult, resets, aborted, before, after, serverProblems });
  } finally {
    server.kill();
  }
}

export function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
