import type { AddressInfo } from 'node:net';
import { type Extension, type ExtensionCodec, Server } from '@ws/core';
import type { Socket } from 'node:net';
import { rawRequest, upgradeRequest } from '../helpers/raw-http';

/** An extension that accepts every offer and counts the codecs it made and disposed. */
function countingExtension(name: string, rsv: number, failToCreate: boolean) {
  const counts = { created: 0, disposed: 0 };
  const extension: Extension = {
    name,
    rsv,
    negotiate: () => ({
      params: [],
      createCodec(): ExtensionCodec {
        if (failToCreate) throw new Error(`${name} cannot start`);
        counts.created++;
        return {
          decode: (payload, _rsv, _fin, done) => done(null, payload),
          encode: (payload, bits, _options, done) => done(null, payload, bits),
          dispose: () => counts.disposed++,
        };
      },
    }),
  };
  return { extension, counts };
}

describe('an extension that fails to start', () => {
  it('refuses the handshake with 500 and releases the codecs already made for it', async () => {
    const first = countingExtension('x-first', 0b010, false);
    const second = countingExtension('x-second', 0b001, true);
    const server = new Server({ host: '127.0.0.1', port: 0, extensions: [first.extension, second.extension] });
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;

    const sockets: Socket[] = [];
    const request = upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': 'x-first, x-second' } });
    const response = await rawRequest(port, request, (socket) => sockets.push(socket));
    await response.closed;
    sockets.forEach((socket) => socket.destroy());

    expect(response.status).toBe(500);
    expect(first.counts).toEqual({ created: 1, disposed: 1 });
    expect(errors.map((error) => error.message)).toEqual(['x-second cannot start']);
    await server.close();
  });
});
