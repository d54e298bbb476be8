/**
 * For tests of one message to many connections (`broadcast`, `publish`): open clients whose
 * server-side connections are known, and read what each received before a marker. Order is kept
 * per connection, so once the marker sent after a fan-out is in, the fan-out's message would be
 * too: "exactly once" and "not at all" are asserted without sleeping.
 */
import type WebSocket from 'ws';
import type { Connection } from '@ws/core';
import type { Harness, StartedServer } from './harness';
import type { WsClient } from './ws-client';

/** `count` `ws` clients (`?id=<i>` in their URL) and their connections, in the same order. */
export async function clientsOf(
  h: Harness,
  started: StartedServer,
  count: number,
  options?: (index: number) => WebSocket.ClientOptions,
): Promise<{ clients: WsClient[]; connections: Connection[] }> {
  const clients: WsClient[] = [];
  const connections: Connection[] = [];
  for (let i = 0; i < count; i++) {
    const index = started.events.count('connection');
    clients.push(await h.ws(`${started.url}/?id=${i}`, undefined, options?.(i)));
    connections.push((await started.connection(index)).connection);
  }
  return { clients, connections };
}

/** Sends `marker` on every connection and returns, per client, the messages that came before it. */
export async function receivedBeforeMarker(
  clients: WsClient[],
  connections: Connection[],
): Promise<Array<Array<string | Buffer>>> {
  for (const connection of connections) connection.send('marker');
  return Promise.all(
    clients.map(async (client) => {
      for (let i = 0; ; i++) if ((await client.message(i)).data === 'marker') break;
      return client.messages.slice(0, -1).map((m) => m.data);
    }),
  );
}
