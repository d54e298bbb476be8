'use strict';
// The C load generator (../loadgen/*.c): compiled with `cc -O2` into ../build on first use (or
// when a source is newer), run pinned to core 1, one JSON line of results per run.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { pinned } = require('./servers');

const SOURCE_DIR = path.join(__dirname, '..', 'loadgen');
const BUILD_DIR = path.join(__dirname, '..', 'build');
const BINARY = path.join(BUILD_DIR, 'loadgen');

function buildLoadgen() {
  const sources = fs.readdirSync(SOURCE_DIR).filter((f) => /\.[ch]$/.test(f));
  const built = fs.existsSync(BINARY) ? fs.statSync(BINARY).mtimeMs : 0;
  if (sources.every((f) => fs.statSync(path.join(SOURCE_DIR, f)).mtimeMs < built)) return BINARY;
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  const cFiles = sources.filter((f) => f.endsWith('.c')).map((f) => path.join(SOURCE_DIR, f));
  execFileSync(process.env.CC || 'cc', ['-O2', '-Wall', '-o', BINARY, ...cFiles], { stdio: 'inherit' });
  return BINARY;
}

/** `{ port: 1, size: 64, binary: true }` to `--port 1 --size 64 --binary`. */
function toArgs(options) {
  const args = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === false) continue;
    const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (value === true) args.push(flag);
    else args.push(flag, String(value));
  }
  return args;
}

function spawnLoadgen(mode, options) {
  const [command, args] = pinned(1, buildLoadgen(), [mode, ...toArgs(options)]);
  return spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
}

/**
 * Runs one measurement (echo, storm, latency) to its end; resolves with its JSON. `onWindow` is
 * called as the measured window opens and `onResult` as soon as the result line arrives (echo
 * and storm announce the window), both at once, so what they read of the server brackets it.
 */
function runLoadgen(mode, options, { onWindow, onResult } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnLoadgen(mode, options);
    child.stdin.end();
    let result = null;
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      const message = JSON.parse(line);
      if (message.window === 'open') {
        if (onWindow) onWindow();
        return;
      }
      result = message;
      if (onResult) onResult(message);
    });
    child.once('error', reject);
    // 'close' comes after stdout has ended, so every line has been read by then.
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`loadgen ${mode} exited with ${code}`));
      if (result === null) return reject(new Error(`loadgen ${mode} printed no result`));
      resolve(result);
    });
  });
}

/**
 * Opens `connections` and holds them (mode hold). Resolves once they are open with
 * `{ expect(count, trigger), close() }`: expect arms the counter, calls trigger() (which makes
 * the server send) and resolves with the time until `count` more frames arrived.
 */
function holdConnections(options) {
  return new Promise((resolve, reject) => {
    const child = spawnLoadgen('hold', options);
    const lines = readline.createInterface({ input: child.stdout });
    let waiter = null;
    const exited = new Promise((done) => child.once('exit', done));
    child.once('exit', (code) => {
      const error = new Error(`loadgen hold exited with ${code}`);
      if (waiter) waiter.reject(error);
      else reject(error);
    });
    lines.on('line', (line) => {
      const message = JSON.parse(line);
      if (message.ready) {
        resolve({
          expect(count, trigger) {
            return new Promise((done, fail) => {
              waiter = { resolve: done, reject: fail, trigger };
              child.stdin.write(`expect ${count}\n`);
            });
          },
          close() {
            child.stdin.end('quit\n');
            return exited;
          },
        });
      } else if (waiter && message.armed) {
        waiter.trigger();
      } else if (waiter) {
        const { resolve: done, reject: fail } = waiter;
        waiter = null;
        if (message.error) fail(new Error(`loadgen: ${message.error}`));
        else done(message);
      }
    });
  });
}

module.exports = { buildLoadgen, runLoadgen, holdConnections, BINARY };
