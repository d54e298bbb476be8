/**
 * Our own client, `connect()`, in real-socket tests: `useClients()` records every connection's
 * events from its start and terminates what a test left open in `afterEach`.
 *
 *   const c = useClients();
 *   const { connection, events } = await c.open(url, { protocols: ['chat'] });
 *   await events.nth('message');
 */
import { connect, type ClientOptions, type Connection } from '@ws/core';
import { Recorder } from './events';

export const CLIENT_EVENTS = ['message', 'closing', 'close', 'ping', 'pong', 'error', 'drain', 'dropped'];

export interface OpenClient {
  connection: Connection;
  events: Recorder;
}

export class Clients {
  private readonly open = new Set<Connection>();

  /** `connect()`, with the connection's events recorded from before any frame is read. */
  async connect(url: string, options?: ClientOptions): Promise<OpenClient> {
    const connection = await connect(url, options);
    this.open.add(connection);
    connection.on('close', () => this.open.delete(connection));
    return { connection, events: new Recorder(connection, CLIENT_EVENTS) };
  }

  cleanup(): void {
    for (const connection of this.open) connection.terminate();
    this.open.clear();
  }
}

/** Client connections released after each test. */
export function useClients(): Clients {
  const clients = new Clients();
  afterEach(() => clients.cleanup());
  return clients;
}
