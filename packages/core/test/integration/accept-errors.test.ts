/**
 * README, the server's `error` event: a failed accept is not fatal, so a client flooding
 * connections past the file-descriptor limit cannot take the process down; a listen error still
 * is. Servers run in child processes (helpers/accept-errors-server-process.ts), where a crash
 * does not take jest with it.
 */
import { Server } from '@ws/core';
import type { AcceptErrorStats } from '../helpers/accept-errors-server-process';
import { Recorder, until } from '../helpers/events';
import { type ServerProcess, useServerProcesses } from '../helpers/hardening-child';
import { useHarness } from '../helpers/harness';
import { connectTcp } from '../helpers/raw-http';

const h = useHarness();
const serverProcess = useServerProcesses<{ fdLimit?: number; errorListener?: boolean; port?: number }>(
  'accept-errors-server-process.ts',
);

/** About 20 descriptors are Node's own: this leaves the server some 40 for sockets. */
const FD_LIMIT = 64;
const FLOOD = 200;

/** A `ws` client gets a message echoed and closes cleanly: the server still serves. */
async function expectServing(server: ServerProcess): Promise<void> {
  const client = await h.ws(`ws://127.0.0.1:${server.port}`);
  client.ws.send('still serving');
  expect((await client.message()).data).toBe('still serving');
  client.ws.close(1000);
  expect(await client.closedWithin()).toEqual({ code: 1000, reason: '' });
}

describe('a flood of connections past the file-descriptor limit', () => {
  it('is shed, the process survives it, and the server serves once the flood is gone', async () => {
    const server = await serverProcess({}, { fdLimit: FD_LIMIT });
    const idle = await server.ask<AcceptErrorStats>('stats');
    let shed = 0;
    const flood = await Promise.all(
      Array.from({ length: FLOOD }, () =>
        connectTcp(server.port, (socket) => {
          h.trackSocket(socket);
          socket.once('close', () => shed++);
        }),
      ),
    );
    // Closed by the server, not by us: it had no descriptor left for them, nor for anything else.
    await until(() => shed > 0, 'the server to shed connections');
    expect((await server.ask<AcceptErrorStats>('stats')).openFds).toBeNull();
    expect(server.running).toBe(true);

    for (const socket of flood) socket.destroy();
    await server.until<AcceptErrorStats>(
      ({ openFds }) => openFds !== null && openFds <= idle.openFds!,
      "the flood's sockets to be closed in the server",
    );
    await expectServing(server);
    expect(server.running).toBe(true);
  });
});

describe("a failed accept, as Node reports it (an error whose syscall is 'accept')", () => {
  it('is emitted to an error listener, and the server goes on serving', async () => {
    const server = await serverProcess({}, { errorListener: true });
    const { errors, warnings } = await server.ask<AcceptErrorStats>('failAccept', { count: 2 });
    expect(errors).toEqual([
      { syscall: 'accept', code: 'EMFILE' },
      { syscall: 'accept', code: 'EMFILE' },
    ]);
    expect(warnings).toEqual([]);
    await expectServing(server);
  });

  it('without an error listener, does not crash the process: one warning per server, however many fail', async () => {
    const server = await serverProcess();
    await server.ask('failAccept', { count: 3 });
    const { warnings } = await server.ask<AcceptErrorStats>('failAccept', { count: 2 });
    expect(warnings).toEqual([{ code: 'WS_WARN_ACCEPT_FAILING', message: expect.stringContaining('(EMFILE)') }]);
    expect(server.running).toBe(true);
    await expectServing(server);
  });
});

describe('a listen error stays fatal', () => {
  it('is thrown without an error listener: the process dies of EADDRINUSE', async () => {
    const { port } = await h.httpServer(); // port 0: a port now taken
    await expect(serverProcess({}, { port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('is emitted to an error listener', async () => {
    const { port } = await h.httpServer();
    const server = h.adopt(new Server({ host: '127.0.0.1', port }));
    const [error] = await new Recorder(server, ['error']).nth('error');
    expect(error).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen' });
  });
});
