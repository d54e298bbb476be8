import { useHarness } from '../helpers/harness';
import { useClients } from '../helpers/client';
const h = useHarness();
const c = useClients();
it('echo', async () => {
  const { url, server } = await h.server();
  server.on('connection', (conn) => conn.on('message', (d, b) => conn.send(d, { binary: b })));
  const { connection, events } = await c.connect(url);
  connection.send('hello');
  expect((await events.nth('message'))[0]).toBe('hello');
  connection.close(1000, 'bye');
  const [code, reason, clean] = await events.nth('close');
  expect([code, reason, clean]).toEqual([1000, 'bye', true]);
});
