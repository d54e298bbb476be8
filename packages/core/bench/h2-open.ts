/**
 * Opening WebSockets over HTTP/2 streams against opening them over HTTP/1.1, same server, same
 * run: N WebSockets over TLS, each sending one message and awaiting its echo. Over HTTP/2 they
 * are streams of one session (RFC 8441); over HTTP/1.1 each is its own TLS connection (the `ws`
 * package as client). Server and clients share this process. Prints medians and the ratio.
 *
 *   node -r ./packages/bench/ts-register.js packages/core/bench/h2-open.ts [N] [rounds]
 */
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { Server } from '@ws/core';
import { openH2 } from '../test/helpers/h2-client';
import { text } from '../test/helpers/frames';
import { selfSignedCertificate } from '../test/helpers/tls-cert';

const N = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 7);
const tls = selfSignedCertificate();

async function overH2(port: number): Promise<number> {
  const started = performance.now();
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca: tls.cert });
  await new Promise((resolve) => session.once('remoteSettings', resolve));
  const clients = await Promise.all(Array.from({ length: N }, () => openH2(session)));
  for (const client of clients) client.send(text('x'));
  await Promise.all(clients.map((client) => client.frameAt(1, 60_000)));
  const elapsed = performance.now() - started;
  session.destroy();
  return elapsed;
}

async function overH1(port: number): Promise<number> {
  const started = performance.now();
  const sockets = await Promise.all(
    Array.from(
      { length: N },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`wss://127.0.0.1:${port}/`, { ca: tls.cert });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  await Promise.all(sockets.map((ws) => new Promise((resolve) => (ws.once('message', resolve), ws.send('x')))));
  const elapsed = performance.now() - started;
  for (const ws of sockets) ws.terminate();
  return elapsed;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

async function main(): Promise<void> {
  const httpServer = http2.createSecureServer({ ...tls, allowHTTP1: true });
  const server = new Server({ server: httpServer });
  server.on('connection', (connection) => connection.on('message', (data) => connection.send(data)));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  await overH2(port); // warm-up, both
  await overH1(port);
  const h2: number[] = [];
  const h1: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so neither always runs on a calmer machine.
    if (round % 2 === 0) {
      h2.push(await overH2(port));
      h1.push(await overH1(port));
    } else {
      h1.push(await overH1(port));
      h2.push(await overH2(port));
    }
  }
  console.log(`${N} WebSockets opened + one echo each, median of ${ROUNDS} rounds:`);
  console.log(`  HTTP/2 streams, one session: ${median(h2).toFixed(0)} ms`);
  console.log(`  HTTP/1.1, a TLS connection each: ${median(h1).toFixed(0)} ms`);
  console.log(`  ratio (h1 / h2): ${(median(h1) / median(h2)).toFixed(2)}`);
  await server.close();
  httpServer.close();
  process.exit(0);
}

void main();
