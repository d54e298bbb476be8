'use strict';
/**
 * The client side of idle-memory.ts, in its own process so its memory is not counted: opens
 * connections with the `ws` client on command, echoes nothing, and reports over IPC.
 *   { connect: url, count, perMessageDeflate } → { connected }
 *   { send: bytes } → { echoed }       (one message per connection, waits for every echo)
 *   { close: true } → exits
 */
const WebSocket = require('ws');

const sockets = [];

function sample(length) {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  let text = '';
  for (let i = 0; text.length < length; i++) text += `${words[(i * 7) % words.length]}${i % 97} `;
  return text.slice(0, length);
}

async function connectAll(url, count, perMessageDeflate) {
  const batch = 100;
  for (let i = 0; i < count; i += batch) {
    const opened = [];
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const ws = new WebSocket(url, { perMessageDeflate });
      ws.on('error', (error) => {
        console.error('client error', error.message);
        process.exit(1);
      });
      sockets.push(ws);
      opened.push(new Promise((resolve) => ws.once('open', resolve)));
    }
    await Promise.all(opened);
  }
}

async function sendAll(bytes) {
  const message = sample(bytes);
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise((resolve) => {
          ws.once('message', resolve);
          ws.send(message);
        }),
    ),
  );
}

process.on('message', async (command) => {
  if (command.connect) {
    await connectAll(command.connect, command.count, command.perMessageDeflate);
    process.send({ connected: sockets.length, extensions: sockets[0].extensions });
  } else if (command.send) {
    await sendAll(command.send);
    process.send({ echoed: sockets.length });
  } else if (command.close) {
    for (const ws of sockets) ws.terminate();
    process.exit(0);
  }
});
