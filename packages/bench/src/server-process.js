'use strict';
// The echo server of one implementation in a child process (echo-server.js), and its memory
// over IPC: shared by the benchmarks.
const { fork } = require('node:child_process');
const path = require('node:path');

function startServer(impl) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'echo-server.js'), [impl], {
      execArgv: ['--expose-gc', '--max-old-space-size=4096'],
      // Both servers find bufferutil (ws uses it for masking, @ws/core for large unmasks).
      env: { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') },
    });
    child.once('error', reject);
    child.on('message', function onMessage(message) {
      if (message.type !== 'listening') return;
      child.removeListener('message', onMessage);
      resolve({ child, port: message.port });
    });
  });
}

function memoryOf(child) {
  return new Promise((resolve) => {
    child.on('message', function onMessage(message) {
      if (message.type !== 'memory') return;
      child.removeListener('message', onMessage);
      resolve(message);
    });
    child.send({ type: 'memory' });
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

module.exports = { startServer, memoryOf, median };
