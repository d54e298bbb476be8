'use strict';
/**
 * The server side of broadcast.js: one implementation with permessage-deflate, server side
 * without context takeover, which on { send: messages } broadcasts that many 16 KiB JSON messages
 * (one per event-loop turn) and reports its CPU time since the command once told { stop: true }.
 *   node -r ../../bench/ts-register.js broadcast-server.js ours|ws
 */
const path = require('node:path');

const impl = process.argv[2];
let broadcast;

const { json: document } = require('./payloads');

function json(seed) {
  return document(16 * 1024, seed);
}

if (impl === 'ours') {
  const { Server } = require('@ws/core');
  const { deflate } = require('@ws/deflate');
  const server = new Server(
    { host: '127.0.0.1', port: 0, extensions: [deflate({ serverNoContextTakeover: true })] },
    () => process.send({ listening: server.address().port }),
  );
  broadcast = (message) => server.broadcast(message);
} else if (impl === 'ws') {
  const benchDir = path.resolve(__dirname, '../../bench');
  const { WebSocketServer, WebSocket } = require(require.resolve('ws', { paths: [benchDir] }));
  const server = new WebSocketServer(
    { host: '127.0.0.1', port: 0, perMessageDeflate: { serverNoContextTakeover: true } },
    () => process.send({ listening: server.address().port }),
  );
  // The loop ws's README shows for a broadcast.
  broadcast = (message) => {
    for (const client of server.clients) if (client.readyState === WebSocket.OPEN) client.send(message);
  };
} else {
  throw new Error(`unknown implementation ${impl}`);
}

let start = null;
process.on('message', (command) => {
  if (command.send !== undefined) {
    const messages = [];
    for (let i = 0; i < command.send; i++) messages.push(json(i));
    start = process.cpuUsage();
    let sent = 0;
    const next = () => {
      broadcast(messages[sent]);
      if (++sent < messages.length) setImmediate(next);
    };
    next();
  } else if (command.stop) {
    const used = process.cpuUsage(start);
    process.send({ cpuMicros: used.user + used.system });
  } else if (command.close) {
    process.exit(0);
  }
});
