'use strict';
/**
 * The server side of echo.js: an echo server with permessage-deflate, no context takeover
 * either way, built from each library's public API, that reports its CPU time on request.
 *   ours: @ws/core + @ws/deflate; ws: ws (with bufferutil when installed)
 */
const path = require('node:path');

const impl = process.argv[2];
if (impl === 'ours') {
  const { Server } = require('@ws/core');
  const { deflate } = require('@ws/deflate');
  const server = new Server(
    {
      host: '127.0.0.1',
      port: 0,
      // DEFLATE_OPTIONS='{"serverMaxWindowBits":15}' adds options (to compare other settings).
      extensions: [
        deflate({
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
          ...JSON.parse(process.env.DEFLATE_OPTIONS ?? '{}'),
        }),
      ],
    },
    () => process.send({ listening: server.address().port }),
  );
  server.on('message', (data, connection, isBinary) => connection.send(data, { binary: isBinary }));
} else if (impl === 'ws') {
  const benchDir = path.resolve(__dirname, '../../bench');
  const { WebSocketServer } = require(require.resolve('ws', { paths: [benchDir] }));
  const server = new WebSocketServer(
    {
      host: '127.0.0.1',
      port: 0,
      perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    },
    () => process.send({ listening: server.address().port }),
  );
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
} else {
  throw new Error(`unknown implementation ${impl}`);
}

let start = null;
process.on('message', (command) => {
  if (command.start) start = process.cpuUsage();
  else if (command.stop) {
    const used = process.cpuUsage(start);
    process.send({ cpuMicros: used.user + used.system });
  } else if (command.close) process.exit(0);
});
