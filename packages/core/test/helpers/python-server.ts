import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Runs python-echo-server.py on Debian's python3 (the pyenv `python3` on PATH lacks the
 * package), for the interop tests of our client against Python websockets.
 */

export const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, '..', 'client', 'fixtures', 'python-echo-server.py');

/** Whether Debian's python3 can import websockets (the python3-websockets package). */
export function pythonWebsocketsAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import websockets'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/**
 * How an interop suite runs: where python3-websockets is missing, it is skipped with a message
 * outside CI and fails in CI (CI=true), where .ci/run installs it.
 */
export function pythonSuite(name: string, body: () => void): void {
  if (pythonWebsocketsAvailable()) {
    describe(name, body);
    return;
  }
  const why = `${PYTHON} cannot import websockets (apt-get install python3-websockets)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs python3-websockets', () => {
        throw new Error(why);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${why}`);
  describe.skip(name, body);
}

export interface PythonServer {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** A PEM certificate and key for the server to serve wss:// with (see tls-cert.ts). */
export interface PythonTls {
  readonly cert: string;
  readonly key: string;
}

/**
 * Starts the echo server; `deflate` is 'off', 'default' or the JSON of its factory's arguments.
 * With `tls`, it serves wss:// (the PEM files live in a temporary folder until `stop()`).
 */
export function startPythonServer(deflate: string = 'off', tls?: PythonTls): Promise<PythonServer> {
  const args = [SCRIPT, '--deflate', deflate];
  let folder: string | null = null;
  if (tls !== undefined) {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'python-wss-'));
    fs.writeFileSync(path.join(folder, 'cert.pem'), tls.cert);
    fs.writeFileSync(path.join(folder, 'key.pem'), tls.key);
    args.push('--tls', path.join(folder, 'cert.pem'), path.join(folder, 'key.pem'));
  }
  const removeFolder = (): void => {
    if (folder !== null) fs.rmSync(folder, { recursive: true, force: true });
    folder = null;
  };
  const child: ChildProcess = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.once('exit', removeFolder);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end(); // the script exits when its stdin closes
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`python server did not start within 10 s: ${stderr}`));
    }, 10_000);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /PORT (\d+)/.exec(out);
      if (match === null) return;
      clearTimeout(timer);
      const port = Number(match[1]);
      resolve({ port, url: `${tls === undefined ? 'ws' : 'wss'}://127.0.0.1:${port}/`, stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`python server exited with ${code}: ${stderr}`));
    });
  });
}
