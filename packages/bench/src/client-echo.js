'use strict';
// The client-side row: client.js, in a Node process on core 1, runs the client under test
// (ours: `connect()` from @ws/core; ws: `new WebSocket()`) against this library's server on core 0 (a ws server saturates before either client).
// It runs once @ws/core exports `connect` (issue 18); until then the row says why it is empty.
const { spawn } = require('node:child_process');
const path = require('node:path');
const { pinned } = require('./servers');
const { ours } = require('./ours');

function clientAvailable() {
  return typeof ours('core').connect === 'function' || '@ws/core does not export connect() yet';
}

function runClient(impl, options) {
  const env = { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') };
  const [command, args] = pinned(1, process.execPath, [
    path.join(__dirname, 'client.js'),
    impl,
    JSON.stringify(options),
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client ${impl} exited with ${code}`)),
    );
  });
}

module.exports = { clientAvailable, runClient };
