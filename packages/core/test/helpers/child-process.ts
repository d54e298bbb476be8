/**
 * Runs TypeScript in a separate `node` process (through packages/bench/ts-register.js, from the repository root),
 * for what jest cannot host:
 *
 * - `runScript(file, options)`, `runFixture(name, options)`: runs to the end and returns the JSON
 *   it prints last. An exception that escapes to `uncaughtException` fails whichever test is
 *   running, so a test that wants to watch one happen watches it in a child.
 * - `forkScript(file, args, options)`: a long-lived child with an IPC channel and its stderr
 *   piped, e.g. a server whose memory is measured apart from jest's heap (hardening-child.ts).
 *
 * `execArgv` passes node flags, such as `--expose-gc` for a child that calls `gc()`.
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');
const TS_REGISTER = path.join(__dirname, '..', '..', '..', 'bench', 'ts-register.js');

export interface ChildOptions {
  /** Arguments after the script (its `process.argv[2]` on). */
  args?: string[];
  /** Node flags, before the script. */
  execArgv?: string[];
}

export interface RunOptions extends ChildOptions {
  /** The child is killed after this long, and the run fails. */
  timeoutMs?: number;
}

/** Runs `file` in a child `node` and returns the JSON it printed last. */
export function runScript(
  file: string,
  { args = [], execArgv = [], timeoutMs = 15_000 }: RunOptions = {},
): Promise<unknown> {
  const name = path.basename(file);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...execArgv, '-r', TS_REGISTER, file, ...args],
      { timeout: timeoutMs, cwd: ROOT },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${name} failed: ${error.message}\n${stderr}`));
        const lines = stdout.trim().split('\n');
        try {
          resolve(JSON.parse(lines[lines.length - 1]));
        } catch {
          reject(new Error(`${name} printed no JSON result:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

/** `runScript` for `fixtures/<name>`. */
export function runFixture(name: string, options?: RunOptions): Promise<unknown> {
  return runScript(path.join(__dirname, 'fixtures', name), options);
}

/** Starts `file` in a child `node` with an IPC channel; stdout is ignored and stderr piped. */
export function forkScript(file: string, { args = [], execArgv = [] }: ChildOptions = {}): ChildProcess {
  return fork(file, args, {
    cwd: ROOT,
    execArgv: [...execArgv, '-r', TS_REGISTER],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
}
