/**
 * `server.broadcast(data, options)` (README, Server): one message to every open client, framed
 * once, with `filter` and `except`. Each test sends a marker on every connection after the
 * broadcast: per-connection order is kept, so once the marker is in, the broadcast would be too,
 * and "exactly once" (or "not at all") can be asserted without sleeping.
 */
import type { Connection } from '@ws/core';
import { clientsOf, receivedBeforeMarker } from '../helpers/fan-out-clients';
import { useHarness } from '../helpers/harness';
import { XOR_RSV, xorBytes, xorExtension } from '../helpers/xor-extension';

const h = useHarness();

describe('server.broadcast', () => {
  it('delivers a text message once to every open client', async () => {
    const started = await h.server();
    const { clients, connections } = await clientsOf(h, started, 3);
    started.server.broadcast('news');
    expect(await receivedBeforeMarker(clients, connections)).toEqual([['news'], ['news'], ['news']]);
  });

  it('delivers a Buffer as binary', async () => {
    const started = await h.server();
    const { clients } = await clientsOf(h, started, 2);
    started.server.broadcast(Buffer.from([1, 2]));
    expect(await Promise.all(clients.map((c) => c.message()))).toEqual([
      { data: Buffer.from([1, 2]), isBinary: true },
      { data: Buffer.from([1, 2]), isBinary: true },
    ]);
  });

  it('delivers a string as binary with { binary: true }', async () => {
    const started = await h.server();
    const { clients } = await clientsOf(h, started, 1);
    started.server.broadcast('bytes', { binary: true });
    expect(await clients[0].message()).toEqual({ data: Buffer.from('bytes'), isBinary: true });
  });

  it('honours filter', async () => {
    const started = await h.server();
    const { clients, connections } = await clientsOf(h, started, 4);
    started.server.broadcast('even only', {
      filter: (c: Connection) => Number(c.url.split('=')[1]) % 2 === 0,
    });
    expect(await receivedBeforeMarker(clients, connections)).toEqual([['even only'], [], ['even only'], []]);
  });

  it('honours except', async () => {
    const started = await h.server();
    const { clients, connections } = await clientsOf(h, started, 3);
    started.server.broadcast('not to the sender', { except: connections[1] });
    expect(await receivedBeforeMarker(clients, connections)).toEqual([
      ['not to the sender'],
      [],
      ['not to the sender'],
    ]);
  });

  it('skips clients that have closed', async () => {
    const started = await h.server();
    const { clients, connections } = await clientsOf(h, started, 2);
    clients[0].ws.close();
    await (await started.connection(0)).events.nth('close');
    started.server.broadcast('late');
    expect(await receivedBeforeMarker(clients.slice(1), connections.slice(1))).toEqual([['late']]);
  });

  it('encodes its own copy for a connection whose extension transforms messages', async () => {
    const started = await h.server({ extensions: [xorExtension()] });
    const plain = await h.ws(started.url);
    const raw = await h.raw(started.port, { headers: { 'Sec-WebSocket-Extensions': 'x-xor; key=7' } });
    await started.connection(1);
    started.server.broadcast('both');
    const encoded = await raw.frameAt(1);
    expect([encoded.rsv, xorBytes(encoded.payload, 7).toString()]).toEqual([XOR_RSV, 'both']);
    expect(await plain.message()).toEqual({ data: 'both', isBinary: false });
  });
});
