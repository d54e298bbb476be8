/** `server.close()` (README, Server): every client gets 1001 (Going Away), then the server stops. */
import * as net from 'node:net';
import type { Plugin, Server } from '@ws/core';
import { useHarness } from '../helpers/harness';
import { withTimeout } from '../helpers/events';

const h = useHarness();

const closeServer = (server: Server): Promise<void> => withTimeout(server.close(), 3000, 'server.close callback');

describe('server.close()', () => {
  it('closes every client with 1001', async () => {
    const { server, url } = await h.server();
    const clients = [await h.ws(url), await h.ws(url)];
    void server.close();
    expect(await Promise.all(clients.map((c) => c.closedWithin()))).toMatchObject([{ code: 1001 }, { code: 1001 }]);
  });

  it('calls back once every client is gone', async () => {
    const { server, url } = await h.server();
    await h.ws(url);
    await h.ws(url);
    await closeServer(server);
    expect(server.clients.size).toBe(0);
  });

  it('emits shutdown', async () => {
    const { server, url, events } = await h.server();
    await h.ws(url);
    void server.close();
    await expect(events.nth('shutdown')).resolves.toEqual([]);
  });

  it('calls back with no clients connected', async () => {
    const { server } = await h.server();
    await expect(closeServer(server)).resolves.toBeUndefined();
  });

  it('stops listening in standalone mode', async () => {
    const { server, port } = await h.server();
    await closeServer(server);
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });

  it('reports each connection closed with 1001 on the server', async () => {
    const { server, url, events } = await h.server();
    await h.ws(url);
    void server.close();
    expect((await events.nth('close')).slice(1, 2)).toEqual([1001]);
  });

  it('tells plugins of the connection, its 1001 disconnect, and calls close once (in any order)', async () => {
    const calls: string[] = [];
    const plugin: Plugin = {
      name: 'recorder',
      attach: () => ({
        onConnection: () => calls.push('onConnection'),
        onDisconnect: (_connection, code) => calls.push(`onDisconnect ${code}`),
        close: () => {
          calls.push('close');
        },
      }),
    };
    const { server, url } = await h.server({ plugins: [plugin] });
    await h.ws(url);
    await closeServer(server);
    // The README does not order `close` against the clients' disconnects; both must happen once.
    expect(calls[0]).toBe('onConnection');
    expect([...calls].sort()).toEqual(['close', 'onConnection', 'onDisconnect 1001']);
  });

  it('calls onConnection before the connection event', async () => {
    const calls: string[] = [];
    const plugin: Plugin = { name: 'recorder', attach: () => ({ onConnection: () => calls.push('plugin') }) };
    const { server, url, events } = await h.server({ plugins: [plugin] });
    server.on('connection', () => calls.push('event'));
    await h.ws(url);
    await events.nth('connection');
    expect(calls).toEqual(['plugin', 'event']);
  });
});
