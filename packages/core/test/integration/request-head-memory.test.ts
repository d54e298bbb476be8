/**
 * What an open connection keeps of its upgrade request in standalone mode, where the server
 * reads request heads itself (request-head.ts): the request target (`connection.url`) and a
 * header value an application stores must not keep the whole head alive with them (V8 cuts
 * long substrings as views of the string they came from). Measured in a server process of its
 * own after a full GC (helpers/hardening-child.ts), against clients whose heads carry 12 KiB.
 */
import WebSocket from 'ws';
import { withTimeout } from '../helpers/events';
import { useServerProcesses, type ServerProcessStats } from '../helpers/hardening-child';

const serverProcess = useServerProcesses();

const CLIENTS = 200;
const PAD = 12 * 1024;
/** Well past a connection's own few KiB, well below the head each one sent. */
const MOST_PER_CONNECTION = PAD / 2;

const retained = (stats: ServerProcessStats): number => stats.heapUsed + stats.arrayBuffers;

function open(port: number, index: number): Promise<WebSocket> {
  const client = new WebSocket(`ws://127.0.0.1:${port}/${'room-'.repeat(8)}${index}?token=${'t'.repeat(24)}`, {
    headers: { 'x-pad': 'p'.repeat(PAD), 'user-agent': `an-agent-of-some-length/${index}` },
  });
  return withTimeout(
    new Promise((resolve, reject) => {
      client.once('open', () => resolve(client));
      client.once('error', reject);
    }),
    10_000,
    `client ${index} to open`,
  );
}

async function closeAll(clients: WebSocket[]): Promise<void> {
  await Promise.all(clients.map((client) => new Promise((resolve) => (client.once('close', resolve), client.close()))));
}

describe('standalone mode: what a connection keeps of its request head', () => {
  it.each([
    ['its url (a 60-character target)', {}],
    ['its url and a header value the application keeps', { keepHeader: 'user-agent' }],
  ])(
    `${CLIENTS} connections whose heads carry ${PAD} B each: under ${MOST_PER_CONNECTION} B apiece with %s`,
    async (_what, flags) => {
      const server = await serverProcess({}, flags);
      const before = await server.stats();
      const clients: WebSocket[] = [];
      try {
        for (let i = 0; i < CLIENTS; i++) clients.push(await open(server.port, i));
        await server.until((s) => s.clients === CLIENTS, 'every connection on the server');
        const after = await server.stats();
        const perConnection = (retained(after) - retained(before)) / CLIENTS;
        expect(perConnection).toBeGreaterThan(0);
        expect(perConnection).toBeLessThan(MOST_PER_CONNECTION);
      } finally {
        await closeAll(clients);
      }
    },
    30_000,
  );
});
