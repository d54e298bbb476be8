/**
 * Runs a TypeScript fixture in a separate `node` process and returns the JSON it prints last.
 * For what jest cannot host: an exception that escapes to `uncaughtException` fails whichever
 * test is running, so a test that wants to watch one happen watches it in a child.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export function runFixture(name: string, timeoutMs = 15_000): Promise<unknown> {
  const file = path.join(__dirname, 'fixtures', name);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-r', path.join(__dirname, 'ts-register.js'), file],
      { timeout: timeoutMs, cwd: path.resolve(__dirname, '../../../..') },
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
