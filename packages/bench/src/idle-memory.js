'use strict';
/**
 * RSS and heap per idle connection, @ws/core against ws (bufferutil), alternated rounds.
 *
 *   node packages/bench/src/idle-memory.js [connections=10000] [rounds=3]
 *
 * Each round starts a fresh server process (node --expose-gc) and a client process of its own
 * that opens the connections with raw `net` sockets (upgrade, read the 101, then hold them), so
 * that client and server sockets fit the open-files limit apart. Before the baseline, the server
 * takes 200 connections that come and go (code compiled, pools warmed); the figure is
 * (after − before) / connections, both read after global.gc(). A third figure leaves out what
 * V8's young generation grew by meanwhile (4 to 32 MiB in every server, a one-off of the process
 * that a forced GC does not give back; at 10,000 connections about 2.2 KB of each one's RSS).
 *
 * Self-contained: the same file is the parent, the server (`server <impl>`) and the client
 * (`client <port> <count>`).
 */
const { fork } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const v8 = require('node:v8');

const REQUEST = (port) =>
  `GET /chat HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
  'Origin: http://127.0.0.1\r\nUser-Agent: idle-memory-bench/1\r\n\r\n';

// ---- server -------------------------------------------------------------------------------

function runServer(impl) {
  const report = (port) => process.send({ type: 'listening', port });
  let server;
  if (impl === 'ours') {
    require('../ts-register.js');
    const { Server } = require('@ws/core');
    server = new Server({ host: '127.0.0.1', port: 0 }, () => report(server.address().port));
  } else if (impl === 'http') {
    // The floor for a server on Node's HTTP upgrade: answer a fixed 101, hold the socket.
    const http = require('node:http');
    const held = new Set();
    server = http.createServer();
    server.clients = held;
    server.on('upgrade', (request, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      held.add(socket);
      socket.on('close', () => held.delete(socket));
      socket.on('end', () => socket.end()); // Node's HTTP sockets allow half-open
      socket.resume();
    });
    server.listen(0, '127.0.0.1', () => report(server.address().port));
  } else {
    const { WebSocketServer } = require('ws');
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false }, () =>
      report(server.address().port),
    );
  }
  process.on('message', (message) => {
    if (message.type !== 'memory') return;
    // Several passes: weak maps and finalizers settle over more than one.
    for (let i = 0; i < 4; i++) global.gc();
    const { rss, heapUsed, external } = process.memoryUsage();
    const count = server.clients.size;
    // What V8's young generation holds in RAM: it grows under the handshakes' allocation (to
    // 32 MiB, whatever the number of connections) and a forced GC does not give it back.
    const young = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    const youngBytes = young === undefined ? 0 : young.physical_space_size;
    process.send({ type: 'memory', rss, heapUsed, external, youngBytes, count });
  });
}

// ---- client -------------------------------------------------------------------------------

function runClient(port, count) {
  const sockets = [];
  let opened = 0;
  let started = 0;
  const request = REQUEST(port);
  const openOne = () => {
    if (started === count) return;
    started++;
    const socket = net.connect(port, '127.0.0.1');
    sockets.push(socket);
    let head = '';
    socket.setEncoding('latin1');
    socket.on('error', (error) => {
      console.error('client socket:', error.message);
      process.exit(1);
    });
    socket.on('connect', () => socket.write(request));
    socket.on('data', function onHead(chunk) {
      head += chunk;
      if (!head.includes('\r\n\r\n')) return;
      if (!head.startsWith('HTTP/1.1 101')) throw new Error(`no 101: ${head}`);
      socket.removeListener('data', onHead);
      if (++opened === count) process.send({ type: 'opened' });
      else openOne();
    });
  };
  for (let i = 0; i < 50; i++) openOne();
  process.on('message', (message) => {
    if (message.type === 'close') {
      for (const socket of sockets) socket.destroy();
      process.exit(0);
    }
  });
}

// ---- parent -------------------------------------------------------------------------------

const once = (child, type) =>
  new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${type}: child exited ${code}`)));
    child.on('message', function onMessage(message) {
      if (message.type !== type) return;
      child.removeListener('message', onMessage);
      resolve(message);
    });
  });

async function holdIdle(port, count) {
  const client = fork(__filename, ['client', String(port), String(count)]);
  await once(client, 'opened');
  return client;
}

async function measure(impl, count) {
  const server = fork(__filename, ['server', impl], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, NODE_PATH: path.join(__dirname, '..', 'node_modules') },
  });
  const { port } = await once(server, 'listening');
  const warm = await holdIdle(port, 200);
  warm.send({ type: 'close' });
  await new Promise((resolve) => warm.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, 300));
  server.send({ type: 'memory' });
  const before = await once(server, 'memory');
  const client = await holdIdle(port, count);
  await new Promise((resolve) => setTimeout(resolve, 300));
  server.send({ type: 'memory' });
  const after = await once(server, 'memory');
  if (after.count !== count) throw new Error(`${impl}: ${after.count} connections open, expected ${count}`);
  client.send({ type: 'close' });
  server.kill();
  await new Promise((resolve) => client.once('exit', resolve));
  return {
    rss: (after.rss - before.rss) / count,
    rssOld: (after.rss - after.youngBytes - before.rss + before.youngBytes) / count,
    heap: (after.heapUsed + after.external - before.heapUsed - before.external) / count,
  };
}

async function main() {
  const count = Number(process.argv[2] || 10_000);
  const rounds = Number(process.argv[3] || 3);
  // IDLE_FLOOR=1 also measures a bare Node HTTP upgrade (a fixed 101, nothing kept).
  const impls = process.env.IDLE_FLOOR === '1' ? ['ours', 'ws', 'http'] : ['ours', 'ws'];
  const results = Object.fromEntries(impls.map((impl) => [impl, []]));
  for (let round = 0; round < rounds; round++) {
    for (const impl of round % 2 === 0 ? impls : [...impls].reverse()) {
      const result = await measure(impl, count);
      results[impl].push(result);
      console.log(
        `round ${round + 1}/${rounds} ${impl}: RSS ${result.rss.toFixed(0)} B, heap ${result.heap.toFixed(0)} B, ` +
          `RSS without the young generation's growth ${result.rssOld.toFixed(0)} B`,
      );
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const summary = (impl, key) => median(results[impl].map((r) => r[key]));
  // rssOld: RSS less the young generation's growth, a one-off of the process (about 22 MiB here)
  // that the division by `count` would otherwise spread over the connections.
  for (const key of ['rss', 'heap', 'rssOld']) {
    const ws = summary('ws', key);
    const line = impls.map(
      (impl) => `${impl} ${summary(impl, key).toFixed(0)} B (${(summary(impl, key) / ws).toFixed(2)}x)`,
    );
    console.log(`${key} per connection, median: ${line.join(', ')}`);
  }
}

const role = process.argv[2];
if (role === 'server') runServer(process.argv[3]);
else if (role === 'client') runClient(Number(process.argv[3]), Number(process.argv[4]));
else
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
