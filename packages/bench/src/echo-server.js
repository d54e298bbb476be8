'use strict';
// A child process: an echo server of one implementation on 127.0.0.1, reporting its port and,
// on request, its memory over IPC. Run by run.js; one core for the server, one for the client.
const impl = process.argv[2];

function report(port) {
  process.send({ type: 'listening', port });
}

process.on('message', (message) => {
  if (message.type === 'memory') {
    if (global.gc) global.gc();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send({ type: 'memory', rss, heapUsed, external, arrayBuffers });
  }
});

if (impl === 'ours') {
  const { Server } = require('@ws/core');
  const server = new Server({ host: '127.0.0.1', port: 0 }, () => report(server.address().port));
  server.on('message', (data, connection, isBinary) => connection.send(data, { binary: isBinary }));
} else if (impl === 'ws') {
  const { WebSocketServer } = require('ws');
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false }, () =>
    report(server.address().port),
  );
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
} else {
  throw new Error(`unknown implementation ${impl}`);
}
