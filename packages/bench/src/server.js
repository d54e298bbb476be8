'use strict';
// A child process (started by servers.js, pinned to core 0): one server of one implementation,
// reporting its port, and on IPC request its memory after GC or a fan-out of messages.
//
//   impl     ours (@ws/core, public API, default options) | ws (with bufferutil and
//            utf-8-validate) | ws-js (the same, WS_NO_BUFFER_UTIL=1 WS_NO_UTF_8_VALIDATE=1, set by
//            the parent) | raw (net, copies bytes back without parsing: the ceiling)
//   config   JSON: { deflate?: options of @ws/deflate and ws alike, redis?: url,
//                   textMessages?: our server's option of that name (ws hands text over as bytes anyway),
//                   subscribe?: every connection joins one topic (fan-out scenarios) }
const { ours } = require('./ours');
const net = require('node:net');

const impl = process.argv[2];
const config = JSON.parse(process.argv[3] || '{}');
const TOPIC = 'everyone';
// RFC 6455's sample key: the load generator always sends it, so the ceiling's 101 is canned.
const RAW_RESPONSE =
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n';

// Without IPC (`node --cpu-prof src/server.js ours`, to profile by hand) it prints its port.
const listening = (port) => (process.send ? process.send({ type: 'listening', port }) : console.log(`port ${port}`));
let sendAll; // (mode, payload, binary) => void

function startOurs() {
  const { Server } = ours('core');
  const options = { host: '127.0.0.1', port: 0 };
  if (config.deflate) options.extensions = [ours('deflate').deflate(config.deflate)];
  if (config.redis) options.plugins = [ours('redis').redisAdapter({ url: config.redis })];
  if (config.textMessages) options.textMessages = config.textMessages;
  const server = new Server(options, () => listening(server.address().port));
  if (config.subscribe) server.on('connection', (connection) => connection.subscribe(TOPIC));
  server.on('message', (data, connection, isBinary) => connection.send(data, { binary: isBinary }));
  sendAll = (mode, payload, binary) => {
    if (mode === 'publish') server.publish(TOPIC, payload, { binary });
    else server.broadcast(payload, { binary });
  };
}

function startWs() {
  const { WebSocketServer, WebSocket } = require('ws');
  const perMessageDeflate = config.deflate ? { ...config.deflate } : false;
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate }, () =>
    listening(server.address().port),
  );
  const subscribers = new Set(); // what a topic is, done by hand
  server.on('connection', (socket) => {
    if (config.subscribe) {
      subscribers.add(socket);
      socket.on('close', () => subscribers.delete(socket));
    }
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  sendAll = (mode, payload, binary) => {
    // The loop ws's README shows for a broadcast.
    for (const client of mode === 'publish' ? subscribers : server.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(payload, { binary });
    }
  };
}

function onRawData(chunk) {
  this.write(chunk);
}

function startRaw() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    let head = '';
    socket.on('data', function onHandshake(chunk) {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.removeListener('data', onHandshake);
      socket.write(RAW_RESPONSE);
      sockets.add(socket);
      // The handshake storm sends a close frame first: echo it and end, as a server would.
      socket.once('data', (first) => {
        if (first[0] === 0x88) return socket.end(first);
        socket.write(first);
        socket.on('data', onRawData);
      });
    });
  });
  server.listen(0, '127.0.0.1', () => listening(server.address().port));
  // The ceiling of a fan-out: one prebuilt frame, one write per socket.
  sendAll = (_mode, payload) => {
    for (const socket of sockets) socket.write(payload);
  };
}

const starters = { ours: startOurs, ws: startWs, 'ws-js': startWs, raw: startRaw };
if (!starters[impl]) throw new Error(`unknown implementation ${impl}`);
starters[impl]();

// `perTick` messages per event-loop turn (a busy room), `messages` in all.
function fanOut({ mode, payload, binary, messages, perTick }) {
  const data = binary ? Buffer.from(payload, 'latin1') : payload;
  let sent = 0;
  const turn = () => {
    for (let i = 0; i < perTick && sent < messages; i++, sent++) sendAll(mode, data, binary);
    if (sent < messages) setImmediate(turn);
  };
  turn();
}

// Orphaned by a runner that died: go too.
process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => process.exit(0)); // lets --cpu-prof write its profile

process.on('message', (message) => {
  if (message.type === 'memory') {
    global.gc();
    global.gc();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send({ type: 'memory', rss, heapUsed, external, arrayBuffers });
  } else if (message.type === 'send') {
    // The raw ceiling writes frames it was handed whole (built by the parent, once).
    fanOut(impl === 'raw' ? { ...message, binary: true, payload: message.frame } : message);
  }
});
