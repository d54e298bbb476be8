'use strict';
// A child process: `connections` clients of one implementation, each keeping `window` echoes in
// flight for `duration` seconds; prints { rate, cpu } (messages/s, this process's CPU share).
const { ours } = require('./ours');
const { once } = require('node:events');

const impl = process.argv[2];
const { port, connections, window, size, duration, serverPid } = JSON.parse(process.argv[3]);
const url = `ws://127.0.0.1:${port}/`;

/** A client as { send, onMessage }, whichever library made it. */
async function open() {
  if (impl === 'ws') {
    const WebSocket = require('ws');
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await once(socket, 'open');
    return { send: (data) => socket.send(data), onMessage: (listener) => socket.on('message', listener) };
  }
  const { connect } = ours('core');
  let connection = connect(url);
  if (typeof connection.then === 'function') connection = await connection;
  else if (connection.readyState !== 1) await once(connection, 'open');
  return { send: (data) => connection.send(data), onMessage: (listener) => connection.on('message', listener) };
}

/** utime + stime of `pid` in clock ticks (100 a second on Linux), or null without a pid or /proc. */
function ticksOf(pid) {
  if (pid === undefined) return null;
  try {
    const fields = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

(async () => {
  const payload = 'x'.repeat(size);
  const clients = await Promise.all(Array.from({ length: connections }, open));
  let received = 0;
  let counting = false;
  for (const client of clients) {
    client.onMessage(() => {
      if (counting) received++;
      client.send(payload);
    });
    for (let i = 0; i < window; i++) client.send(payload);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  counting = true;
  const cpu = process.cpuUsage();
  const serverTicks = ticksOf(serverPid);
  const started = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, duration * 1000));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const result = { rate: received / seconds, cpu: (used.user + used.system) / 1e6 / seconds };
  // The server's share too, when given its pid: how the client writes changes the server's cost.
  if (serverTicks !== null) result.serverCpu = (ticksOf(serverPid) - serverTicks) / 100 / seconds;
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
