'use strict';
// A child process: a server of one implementation whose every connection is a subscriber, and
// which, on an IPC `send` command, sends `messages` messages to all of them at once:
//   ours-publish    @ws/core: every connection subscribed to one topic, server.publish(topic, …)
//   ours-broadcast  @ws/core: server.broadcast(…)
//   ws              ws: the loop its README shows (for each client, client.send(…))
// The same @ws/core process serves both of its modes, so they alternate on the same sockets.
const TOPIC = 'everyone';
const impl = process.argv[2];

let sendAll; // (mode, payload, binary) => void

if (impl === 'ours') {
  const { Server } = require('@ws/core');
  const server = new Server({ host: '127.0.0.1', port: 0 }, () =>
    process.send({ type: 'listening', port: server.address().port }),
  );
  server.on('connection', (connection) => connection.subscribe(TOPIC));
  sendAll = (mode, payload, binary) => {
    if (mode === 'publish') server.publish(TOPIC, payload, { binary });
    else server.broadcast(payload, { binary });
  };
} else if (impl === 'ws') {
  const { WebSocketServer, WebSocket } = require('ws');
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false }, () =>
    process.send({ type: 'listening', port: server.address().port }),
  );
  sendAll = (_mode, payload, binary) => {
    for (const client of server.clients) if (client.readyState === WebSocket.OPEN) client.send(payload, { binary });
  };
} else {
  throw new Error(`unknown implementation ${impl}`);
}

// `burst`: every message in one tick (a busy room). Otherwise one message per event-loop turn,
// so nothing written in one tick can be gathered with the next message.
process.on('message', ({ type, mode, size, binary, messages, burst }) => {
  if (type !== 'send') return;
  const payload = binary ? Buffer.alloc(size, 7) : 'x'.repeat(size);
  if (burst) {
    for (let i = 0; i < messages; i++) sendAll(mode, payload, binary);
    return;
  }
  let sent = 0;
  const next = () => {
    sendAll(mode, payload, binary);
    if (++sent < messages) setImmediate(next);
  };
  next();
});
