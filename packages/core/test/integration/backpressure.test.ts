/**
 * `bufferedAmount` and `drain` (README, Connection): a client that stops reading makes sent
 * bytes pile up in the server's socket buffer; once it reads again the buffer empties and
 * `drain` fires.
 */
import { useHarness } from '../helpers/harness';
import { upgradeRequest } from '../helpers/raw-http';
import { delay } from '../helpers/events';

const h = useHarness();
/** Above what these tests queue, so none of them reaches the slow-consumer policy (slow-consumer.test.ts). */
const OPTIONS = { maxBufferedAmount: 64 * 1024 * 1024 };

/** 32 MiB: more than loopback's socket buffers can absorb, so some must wait in the process. */
const MESSAGES = 32;
const MESSAGE = Buffer.alloc(1024 * 1024, 1);

/** A client that completed the handshake and then reads nothing (its socket is paused). */
async function slowClient(port: number): Promise<import('node:net').Socket> {
  const response = await h.request(port, upgradeRequest());
  expect(response.status).toBe(101);
  return response.socket;
}

describe('bufferedAmount and drain', () => {
  it('is 0 on an idle connection', async () => {
    const { port, connection } = await h.server(OPTIONS);
    await slowClient(port);
    expect((await connection()).connection.bufferedAmount).toBe(0);
  });

  it('grows while the client does not read', async () => {
    const { port, connection } = await h.server(OPTIONS);
    await slowClient(port);
    const { connection: conn } = await connection();
    for (let i = 0; i < MESSAGES; i++) conn.send(MESSAGE);
    await delay(50);
    expect(conn.bufferedAmount).toBeGreaterThan(MESSAGE.length);
  });

  it('emits no drain while the client does not read', async () => {
    const { port, connection } = await h.server(OPTIONS);
    await slowClient(port);
    const { connection: conn, events } = await connection();
    for (let i = 0; i < MESSAGES; i++) conn.send(MESSAGE);
    await delay(50);
    expect(events.count('drain')).toBe(0);
  });

  it('emits drain, with bufferedAmount back to 0, once the client reads', async () => {
    const { port, connection } = await h.server(OPTIONS);
    const socket = await slowClient(port);
    const { connection: conn, events } = await connection();
    for (let i = 0; i < MESSAGES; i++) conn.send(MESSAGE);
    await delay(20);
    socket.resume();
    await events.nth('drain', 0, 10_000);
    expect(conn.bufferedAmount).toBe(0);
  });
});
