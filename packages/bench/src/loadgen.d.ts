// Types of loadgen.js for the TypeScript tests.
/** Compiles ../loadgen/*.c with `cc -O2` when the binary is missing or older; returns its path. */
export function buildLoadgen(): string;
/** Runs one measurement of the generator (echo, storm, latency) to its end. */
export function runLoadgen(
  mode: string,
  options: Record<string, unknown>,
  hooks?: { onWindow?: () => void; onResult?: (result: Record<string, number>) => void },
): Promise<Record<string, number>>;
export const BINARY: string;
