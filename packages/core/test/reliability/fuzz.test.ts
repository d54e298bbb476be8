/**
 * The seeded fuzzer, bounded to a few seconds (README, Reliability): hostile streams, each a
 * mutation of a valid one (bit flips, truncation, bad and oversized lengths, reserved opcodes
 * and RSV bits, unmasked frames, bad UTF-8, corrupt deflate data, bad close frames), cut into
 * random TCP writes, fed to the sans-I/O Protocol and to a live server over real sockets.
 *
 * Set FUZZ_SEED to pick the seed; a failure names it and each failing case's own seed
 * (`npx -y pnpm@10 fuzz --case <seed>` replays one case). `pnpm fuzz` runs 100,000 and more.
 */
import { FUZZ_MAX_PAYLOAD, fuzzSansIo, fuzzSockets, type Tally } from './fuzz-runs';
import { MUTATION_LABELS } from './mutations';

const SEED = process.env.FUZZ_SEED === undefined ? 0x5eed2026 : Number(process.env.FUZZ_SEED);
const SANS_IO_STREAMS = 1000; // per profile
const SOCKET_STREAMS = 100; // per server
const PARALLEL = 6;
/** Starting the server process transpiles the sources: slow on a loaded machine. */
const SOCKET_TEST_MS = 120_000;

/** The failures that the generators must reach, or the run proves little. */
const DETERMINED = ['1002', '1007', '1009', 'none'];

function expectClean(tally: Tally): void {
  expect({ seed: SEED, problems: tally.problems }).toEqual({ seed: SEED, problems: [] });
  for (const code of DETERMINED)
    expect({ seed: SEED, code, seen: (tally.closes[code] ?? 0) > 0 }).toEqual({ seed: SEED, code, seen: true });
}

describe.each([
  ['without extensions', false],
  ['with permessage-deflate', true],
])('fuzzing %s', (_name, deflate) => {
  it(`${SANS_IO_STREAMS} streams into the sans-I/O Protocol: no throw, no hang, bounded buffers, the RFC's close codes`, async () => {
    const tally = await fuzzSansIo({ deflate, maxPayload: FUZZ_MAX_PAYLOAD }, { seed: SEED, count: SANS_IO_STREAMS });
    expectClean(tally);
    expect(tally.streams).toBe(SANS_IO_STREAMS);
    // Every kind of mutation ran (corrupt deflate data only where deflate was negotiated).
    const expected = MUTATION_LABELS.filter((label) => deflate || label !== 'corrupt-deflate');
    expect(Object.keys(tally.labels).sort()).toEqual([...expected].sort());
    expect(tally.peakBuffered).toBeLessThanOrEqual(FUZZ_MAX_PAYLOAD + 14);
  });

  it(
    `${SOCKET_STREAMS} streams into a live server, ${PARALLEL} at a time, while a healthy client gets every answer`,
    async () => {
      const tally = await fuzzSockets(deflate, { seed: SEED, count: SOCKET_STREAMS, parallel: PARALLEL });
      expectClean(tally);
      expect(tally.serverProblems).toEqual([]);
      expect(tally.healthy.problems).toEqual([]);
      expect(tally.healthy.sent).toBeGreaterThan(0);
      expect(tally.healthy.answered).toBe(tally.healthy.sent);
      expect(tally.after.clients).toBe(0);
      // Every fuzz connection (and the healthy one) reached the server and was closed there.
      expect(tally.after.connections).toBe(SOCKET_STREAMS + 1);
    },
    SOCKET_TEST_MS,
  );
});
