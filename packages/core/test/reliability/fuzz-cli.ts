/**
 * `npx -y pnpm@10 fuzz`: the long fuzz run. Half the sans-I/O streams go to a Protocol without
 * extensions and half to one with permessage-deflate; the socket streams likewise to two live
 * servers. Prints progress, then the seed, streams, time, peak RSS and the close codes seen;
 * exits 1 if any check failed.
 *
 *   pnpm fuzz [--seed N] [--streams 100000] [--socket-streams 10000] [--parallel 8]
 *   pnpm fuzz --case SEED [--deflate]      replays one case (a seed from a failure message)
 *
 * FUZZ_SEED works as --seed does.
 */
import { makeCase } from './fuzz-case';
import { FUZZ_MAX_PAYLOAD, Tally, fuzzSansIo, fuzzSockets, mib, type SocketTally } from './fuzz-runs';
import { SansIoRunner } from './sans-io-run';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const log = (line: string): void => void process.stdout.write(`${line}\n`);

async function replay(seed: number, deflate: boolean): Promise<void> {
  const runner = new SansIoRunner({ deflate, maxPayload: FUZZ_MAX_PAYLOAD });
  const fuzzCase = makeCase(seed, runner.profile);
  log(
    `case ${seed} (${fuzzCase.expect.label}), ${fuzzCase.bytes.length} bytes, cuts at ${fuzzCase.cuts.join(' ') || 'none'}`,
  );
  log(`bytes: ${fuzzCase.bytes.toString('hex')}`);
  log(`expected: ${JSON.stringify({ ...fuzzCase.expect, messages: fuzzCase.expect.messages.length })}`);
  const result = await runner.run(fuzzCase.bytes, fuzzCase.cuts, fuzzCase.expect, fuzzCase.random);
  log(`observed: close ${result.observed.close}, ${result.observed.messages?.length} messages`);
  log(result.problems.length === 0 ? 'no problem' : result.problems.join('\n'));
}

async function main(): Promise<void> {
  const caseAt = process.argv.indexOf('--case');
  if (caseAt >= 0) return replay(Number(process.argv[caseAt + 1]), process.argv.includes('--deflate'));

  const seed = option(
    'seed',
    process.env.FUZZ_SEED === undefined ? (Date.now() ^ (process.pid << 16)) >>> 0 : Number(process.env.FUZZ_SEED),
  );
  const streams = option('streams', 100_000);
  const socketStreams = option('socket-streams', 10_000);
  const parallel = option('parallel', 8);
  log(
    `fuzz: seed ${seed}, ${streams} sans-I/O streams, ${socketStreams} socket streams (${parallel} at a time), maxPayload ${FUZZ_MAX_PAYLOAD}`,
  );
  const started = Date.now();
  const total = new Tally();
  const seconds = (): string => ((Date.now() - started) / 1000).toFixed(0);

  for (const deflate of [false, true]) {
    const name = `sans-I/O${deflate ? ' deflate' : ''}`;
    const count = deflate ? streams - Math.floor(streams / 2) : Math.floor(streams / 2);
    // Case indices are offset per part so no two parts replay the same cases.
    const tally = await fuzzSansIo(
      { deflate, maxPayload: FUZZ_MAX_PAYLOAD },
      {
        seed,
        count,
        first: deflate ? 1e8 : 0,
        onProgress: (done) => done % 10_000 === 0 && log(`  ${name}: ${done}/${count} (${seconds()} s)`),
      },
    );
    log(
      `${name}: ${tally.streams} streams, ${tally.problemCount} with problems, peak buffered ${tally.peakBuffered} bytes (${seconds()} s)`,
    );
    total.merge(tally);
  }
  const servers: SocketTally[] = [];
  for (const deflate of [false, true]) {
    const name = `socket${deflate ? ' deflate' : ''}`;
    const count = deflate ? socketStreams - Math.floor(socketStreams / 2) : Math.floor(socketStreams / 2);
    const tally = await fuzzSockets(deflate, {
      seed,
      count,
      parallel,
      first: deflate ? 3e8 : 2e8,
      onProgress: (done) => done % 1000 === 0 && log(`  ${name}: ${done}/${count} (${seconds()} s)`),
    });
    log(
      `${name}: ${tally.streams} streams, ${tally.problemCount} with problems, ${tally.resets} resets, ${tally.aborted} aborted by the client; ` +
        `healthy client ${tally.healthy.answered}/${tally.healthy.sent} answered, slowest ${tally.healthy.maxRoundTripMs} ms; ` +
        `server heap ${mib(tally.before.heapUsed)} → ${mib(tally.after.heapUsed)} MiB, RSS ${mib(tally.before.rss)} → ${mib(tally.after.rss)} MiB, peak RSS ${mib(tally.after.maxRss)} MiB (${seconds()} s)`,
    );
    for (const problem of [...tally.serverProblems, ...tally.healthy.problems])
      total.problems.push(`${name}: ${problem}`);
    if (tally.serverProblems.length + tally.healthy.problems.length > 0) total.problemCount++;
    servers.push(tally);
    total.merge(tally);
  }

  const summary = {
    seed,
    streams: total.streams,
    seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    fuzzerPeakRssMiB: Number(mib(process.resourceUsage().maxRSS * 1024)),
    serverPeakRssMiB: servers.map((tally) => Number(mib(tally.after.maxRss))),
    closes: total.closes,
    mutations: total.labels,
    problems: total.problemCount,
  };
  log(
    `closes: ${Object.entries(total.closes)
      .map(([code, n]) => `${code} ×${n}`)
      .join(', ')}`,
  );
  for (const problem of total.problems) log(`PROBLEM ${problem}`);
  log(JSON.stringify(summary));
  process.exitCode = total.problemCount === 0 ? 0 : 1;
}

void main();
