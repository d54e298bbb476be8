import type { AddressInfo } from 'node:net';
import { Server } from '@ws/core';
import WebSocket from 'ws';

describe("server 'headers' event: lines added to the 101 answer", () => {
  let server: Server;

  afterEach(async () => {
    await server.close();
  });

  it('sends the lines a listener pushes, with the request at hand', async () => {
    server = new Server({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    server.on('headers', (headers, request) => headers.push(`Set-Cookie: seen=${request.url?.slice(1)}`));
    const { port } = server.address() as AddressInfo;
    const client = new WebSocket(`ws://127.0.0.1:${port}/abc`);
    const upgraded = new Promise<{ headers: Record<string, unknown> }>((resolve, reject) => {
      client.once('upgrade', resolve);
      client.once('error', reject);
    });
    const opened = new Promise<void>((resolve) => client.once('open', () => resolve()));
    expect((await upgraded).headers['set-cookie']).toEqual(['seen=abc']);
    await opened;
    client.terminate();
  });
});
