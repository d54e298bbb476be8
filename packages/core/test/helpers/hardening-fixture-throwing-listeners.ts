/**
 * Fixture (run in a child process by integration/lifecycle.test.ts): a listener that throws,
 * where jest cannot watch the uncaught exception. argv[2] picks the scenario:
 *
 *   close-then-shutdown   a connection's `close` listener throws when the client closes;
 *                         then `server.close()` is called
 *   shutdown-closes       a connection's `close` listener throws while `server.close()` is
 *                         closing that connection
 *   connection-head       the server's `connection` listener throws; the client had sent a
 *                         message in the same TCP write as its upgrade request, and sends
 *                         another afterwards
 *
 * Prints, as JSON: the uncaught exceptions, the server's `close` events, `clients.size` after the
 * connection closed, whether `server.close()` called back (and emitted `shutdown`), and the
 * messages the server received.
 */
import * as net from 'node:net';
import WebSocket from 'ws';
import { Server, type Connection } from '@ws/core';
import { frame, op } from './frames';
import { upgradeRequest } from './raw-http';

const scenario = process.argv[2];
const uncaught: string[] = [];
const result = {
  scenario,
  uncaught,
  serverCloseEvents: 0,
  /** Whether `server.clients` still held the connection when its `close` listener ran. */
  heldInCloseListener: true,
  clientsAfterClose: -1,
  shutdownCallback: false,
  shutdownEvent: false,
  messages: [] as string[],
};
process.on('uncaughtException', (error: Error) => uncaught.push(error.message));

const server = new Server({ host: '127.0.0.1', port: 0, closeTimeout: 500 });
server.on('close', () => {
  result.serverCloseEvents++;
  // After the `close` event the connection must be gone from `clients` (README: bookkeeping is
  // done before `close` listeners run); read it a tick later, once every listener has run.
  setImmediate(() => (result.clientsAfterClose = server.clients.size));
});
server.on('shutdown', () => (result.shutdownEvent = true));
server.on('message', (data: string | Buffer) => result.messages.push(String(data)));

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `server.close()` and waits for its callback: at most 3 s, a bound on how long to wait,
 * not on how fast it must be (it takes ~10 ms; a loaded CI machine can stall a child process).
 */
async function shutDown(): Promise<void> {
  void server.close(() => (result.shutdownCallback = true));
  const deadline = Date.now() + 3000;
  while (!result.shutdownCallback && Date.now() < deadline) await delay(10);
}

function finish(): void {
  // A check-phase turn first: the `close` handler's setImmediate above, queued before this one,
  // has then run even when the shutdown wait ended in the timers phase right after the close.
  setImmediate(() => {
    console.log(JSON.stringify(result));
    process.exit(0);
  });
}

async function closeListenerThrows(port: number, serverCloses: boolean): Promise<void> {
  server.on('connection', (connection: Connection) => {
    connection.on('close', () => {
      result.heldInCloseListener = server.clients.has(connection);
      throw new Error('close listener bug');
    });
  });
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  client.on('error', () => undefined);
  await new Promise((resolve) => client.once('open', resolve));
  if (serverCloses) {
    await shutDown();
  } else {
    client.close();
    await new Promise((resolve) => client.once('close', resolve));
    await delay(50);
    await shutDown();
  }
  client.terminate();
}

async function connectionListenerThrows(port: number): Promise<void> {
  server.on('connection', () => {
    throw new Error('connection listener bug');
  });
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.on('data', () => undefined); // the 101; read and ignored
  await new Promise((resolve) => socket.once('connect', resolve));
  // One write: the first message travels with the request, as the upgrade's `head`.
  socket.write(Buffer.concat([Buffer.from(upgradeRequest()), frame({ opcode: op.text, payload: 'first' })]));
  await delay(100);
  socket.write(frame({ opcode: op.text, payload: 'second' }));
  const deadline = Date.now() + 1000;
  while (result.messages.length < 2 && Date.now() < deadline) await delay(10);
  socket.destroy();
}

server.on('listening', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const run =
    scenario === 'close-then-shutdown'
      ? closeListenerThrows(port, false)
      : scenario === 'shutdown-closes'
        ? closeListenerThrows(port, true)
        : scenario === 'connection-head'
          ? connectionListenerThrows(port)
          : Promise.reject(new Error(`unknown scenario ${scenario}`));
  run.then(finish, (error: Error) => {
    console.log(JSON.stringify({ ...result, failure: error.message }));
    process.exit(1);
  });
});
