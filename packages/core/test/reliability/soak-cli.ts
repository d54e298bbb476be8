/**
 * `npx -y pnpm@10 soak`: connect / message / close cycles against an echo server in its own
 * process, in batches of a few hundred at once, without and then with permessage-deflate.
 * The server's heap, external memory and RSS (after a full GC) are printed before, during and
 * after; at the end heap and external memory must be back within a few MiB of where they
 * started and RSS must have stopped growing (see RSS_SLACK), else the exit code is 1.
 *
 *   pnpm soak [--cycles 100000] [--batch 250] [--only plain|deflate] [--client raw|ws]
 *
 * Each cycle (soak-clients.ts): handshake (offering permessage-deflate in the deflate run), one
 * 2 KiB text message (over the server's 1 KiB compression threshold), its echo, a close
 * handshake started by the client, TCP closed by the server.
 */
import { EchoServer, type EchoServerStats } from './echo-server';
import { mib } from './fuzz-runs';
import { rawCycle, wsCycle, type Cycle } from './soak-clients';

/** How far heap and external memory may end above where they started (after GC). */
const HEAP_SLACK = 4 * 1024 * 1024;
/**
 * How far RSS may end above the start, or else above the midway sample. V8 keeps its young
 * generation at the size load grew it to, and glibc keeps freed memory (zlib's state above all)
 * for reuse, so RSS may stay at the high-water mark of the connections open at once; what must
 * not happen is that it keeps growing.
 */
const RSS_SLACK = 8 * 1024 * 1024;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
}

const log = (line: string): void => void process.stdout.write(`${line}\n`);
function line(label: string, stats: EchoServerStats, base: EchoServerStats): string {
  const delta = (now: number, then: number): string => `${now >= then ? '+' : ''}${mib(now - then)}`;
  return (
    `  ${label.padEnd(14)} heap ${mib(stats.heapUsed).padStart(6)} MiB (${delta(stats.heapUsed, base.heapUsed)}), ` +
    `external ${mib(stats.external).padStart(5)} MiB (${delta(stats.external, base.external)}), ` +
    `RSS ${mib(stats.rss).padStart(6)} MiB (${delta(stats.rss, base.rss)}), open ${stats.clients}, accepted ${stats.connections}`
  );
}

interface SoakResult {
  variant: string;
  cycles: number;
  seconds: number;
  before: EchoServerStats;
  /** The sample taken halfway through. */
  midway: EchoServerStats;
  after: EchoServerStats;
  failures: number;
}

async function soak(deflate: boolean, cycles: number, batch: number, cycle: Cycle): Promise<SoakResult> {
  const variant = deflate ? 'permessage-deflate' : 'no extension';
  const server = await EchoServer.start({ deflate });
  try {
    const before = await server.stats(true);
    log(`${variant}: ${cycles} cycles, ${batch} at once, ${cycle === wsCycle ? 'ws' : 'raw'} clients`);
    log(line('before', before, before));
    const started = Date.now();
    const report = Math.max(batch, Math.round(cycles / 10 / batch) * batch);
    let failures = 0;
    let firstFailure = '';
    let midway: EchoServerStats | null = null;
    for (let done = 0; done < cycles;) {
      const size = Math.min(batch, cycles - done);
      const results = await Promise.allSettled(Array.from({ length: size }, () => cycle(server.port, deflate)));
      for (const result of results) {
        if (result.status === 'rejected') {
          failures++;
          firstFailure ||= String(result.reason);
        }
      }
      done += size;
      if (done % report === 0 || done === cycles) {
        const rate = Math.round(done / ((Date.now() - started) / 1000));
        const stats = await server.stats(true);
        if (midway === null && done >= cycles / 2) midway = stats;
        log(line(`${done}`, stats, before) + `, ${rate} cycles/s`);
      }
      if (!server.alive) throw new Error(`the server process died:\n${server.stderr}`);
    }
    const seconds = (Date.now() - started) / 1000;
    await server.drained();
    const after = await server.stats(true);
    log(line('after', after, before) + `, peak RSS ${mib(after.maxRss)} MiB, ${seconds.toFixed(1)} s`);
    if (failures > 0) log(`  ${failures} cycles failed; the first: ${firstFailure}`);
    return { variant, cycles, seconds, before, midway: midway ?? after, after, failures };
  } finally {
    server.kill();
  }
}

async function main(): Promise<void> {
  const cycles = Number(option('cycles', '100000'));
  const batch = Number(option('batch', '250'));
  const only = option('only', 'both');
  const client = option('client', 'raw');
  const cycle = client === 'ws' ? wsCycle : rawCycle;
  const variants = only === 'plain' ? [false] : only === 'deflate' ? [true] : [false, true];
  let ok = true;
  const summary: unknown[] = [];
  for (const deflate of variants) {
    const result = await soak(deflate, cycles, batch, cycle);
    const { before, midway, after } = result;
    const heapGrowth = after.heapUsed - before.heapUsed;
    const externalGrowth = after.external - before.external;
    const rssGrowth = after.rss - before.rss;
    const rssSinceMidway = after.rss - midway.rss;
    const rssBounded = rssGrowth <= RSS_SLACK || rssSinceMidway <= RSS_SLACK;
    const pass =
      result.failures === 0 &&
      after.clients === 0 &&
      heapGrowth <= HEAP_SLACK &&
      externalGrowth <= HEAP_SLACK &&
      rssBounded;
    log(
      `  ${pass ? 'PASS' : 'FAIL'}: over the start, heap ${mib(heapGrowth)} MiB and external ${mib(externalGrowth)} MiB ` +
        `(limit ${mib(HEAP_SLACK)}); RSS ${mib(rssGrowth)} MiB, ${mib(rssSinceMidway)} MiB since midway (limit ${mib(RSS_SLACK)} for one of them)`,
    );
    ok &&= pass;
    summary.push({
      variant: result.variant,
      cycles: result.cycles,
      seconds: Number(result.seconds.toFixed(1)),
      failures: result.failures,
      heapBeforeMiB: Number(mib(result.before.heapUsed)),
      heapAfterMiB: Number(mib(result.after.heapUsed)),
      externalBeforeMiB: Number(mib(result.before.external)),
      externalAfterMiB: Number(mib(result.after.external)),
      rssMidwayMiB: Number(mib(result.midway.rss)),
      rssBeforeMiB: Number(mib(result.before.rss)),
      rssAfterMiB: Number(mib(result.after.rss)),
      peakRssMiB: Number(mib(result.after.maxRss)),
    });
  }
  log(JSON.stringify(summary));
  process.exitCode = ok ? 0 : 1;
}

void main();
