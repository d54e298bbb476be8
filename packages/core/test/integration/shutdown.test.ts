import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Server } from '@ws/core';

describe('server.close() in standalone mode', () => {
  it('does not wait for a client stuck halfway through its HTTP request', async () => {
    const server = new Server({ host: '127.0.0.1', port: 0, handshakeTimeout: 10_000 });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const client = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', resolve));
    const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.on('error', () => {});
    client.resume(); // read the 503 the server answers with, so that its FIN is seen
    client.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n'); // never finished
    await new Promise((resolve) => setTimeout(resolve, 50));

    const started = Date.now();
    await new Promise<void>((resolve) => server.close(resolve));
    expect(Date.now() - started).toBeLessThan(2_000); // far below handshakeTimeout
    await clientClosed;
  });
});
