import type { AddressInfo } from 'node:net';
import { Server, type Connection, type ServerOptions } from '@ws/core';
import { deflate, type DeflateOptions } from '@ws/deflate';
import WebSocket, { type PerMessageDeflateOptions } from 'ws';
import { deflateCounter } from '../src/message-deflater';
import { RawClient } from './helpers/raw-client';
import { PeerInflater } from './helpers/peer-zlib';
import { closeClient, nextMessages } from './helpers/server';

/**
 * Broadcast and publish with permessage-deflate: connections whose server side has no context
 * takeover and the same window share one compression per message (counted through the
 * package's internal counter of zlib writes); the others compress their own copy. Every client
 * must get the right bytes in the order the server sent them, whatever it shares.
 */

jest.setTimeout(60_000);

/** RSV1 as the raw client reports a frame's RSV bits (RSV1 RSV2 RSV3 as a 3-bit number). */
const RSV1 = 0b100;

/** A JSON document of about 16 KiB, like the benchmark's. */
function json(seed: number): string {
  const items = [];
  for (let i = 0; items.length < 150; i++) {
    items.push({ id: seed * 1000 + i, name: `item ${i} of ${seed}`, tags: ['a', 'b', String(i % 7)], price: i * 1.25 });
  }
  return JSON.stringify({ seed, items });
}

let server: Server | null = null;
let url = '';
const clients: WebSocket[] = [];
const raws: RawClient[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.destroy();
  await Promise.all(clients.splice(0).map(closeClient));
  await server?.close();
  server = null;
});

async function start(options: DeflateOptions, extra: Partial<ServerOptions> = {}): Promise<Server> {
  server = new Server({ ...extra, extensions: [deflate(options)], host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return server;
}

/** `count` ws clients, open, each registered on the server too. */
async function connectMany(count: number, perMessageDeflate: PerMessageDeflateOptions | false): Promise<WebSocket[]> {
  const opened: WebSocket[] = [];
  // In batches, so a loaded machine's accept queue is never the limit.
  for (let start = 0; start < count; start += 50) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 50); i++) {
      const ws = new WebSocket(url, { perMessageDeflate });
      clients.push(ws);
      opened.push(ws);
      batch.push(
        new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        }),
      );
    }
    await Promise.all(batch);
  }
  await until(() => server!.clients.size >= clients.length + raws.length);
  return opened;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error('condition not met in time');
}

/** The server side of each client, in the order they connected. */
function connections(): Connection[] {
  return [...server!.clients];
}

describe('broadcast to clients without server context takeover', () => {
  it('compresses 16 KiB JSON once for 300 clients, and each inflates it', async () => {
    await start({ serverNoContextTakeover: true });
    const receivers = await connectMany(300, {});
    const message = json(1);
    const received = Promise.all(receivers.map((ws) => nextMessages(ws, 1)));
    const before = deflateCounter.messages;
    server!.broadcast(message);
    const got = await received;
    expect(deflateCounter.messages - before).toBe(1);
    for (const [text] of got) expect(text).toBe(message);
  });

  it('sets RSV1 on the shared message, which inflates with a fresh inflater per message', async () => {
    await start({ serverNoContextTakeover: true });
    const offer = 'permessage-deflate; server_no_context_takeover';
    for (let i = 0; i < 3; i++) raws.push(await RawClient.connect(url, offer));
    await until(() => server!.clients.size === 3);
    const message = json(2);
    server!.broadcast(message);
    server!.broadcast(Buffer.from(message), { binary: true });
    const payloads: Buffer[] = [];
    for (const raw of raws) {
      for (const opcode of [0x1, 0x2]) {
        const frame = (await raw.nextFrame())!;
        expect(frame.opcode).toBe(opcode);
        expect(frame.fin).toBe(true);
        expect(frame.rsv).toBe(RSV1);
        const inflater = new PeerInflater({}, false);
        expect((await inflater.decompress(frame.payload)).toString()).toBe(message);
        inflater.close();
        payloads.push(frame.payload);
      }
    }
    // The very same bytes went to every client.
    for (let i = 2; i < payloads.length; i++) expect(payloads[i].equals(payloads[i % 2])).toBe(true);
  });

  it('compresses once per window: clients agreeing on different windows get their own', async () => {
    await start({ serverNoContextTakeover: true });
    const wide = await connectMany(20, {});
    const narrow = await connectMany(20, { serverMaxWindowBits: 10 });
    const message = json(3);
    const received = Promise.all([...wide, ...narrow].map((ws) => nextMessages(ws, 1)));
    const before = deflateCounter.messages;
    server!.broadcast(message);
    for (const [text] of await received) expect(text).toBe(message);
    expect(deflateCounter.messages - before).toBe(2);
  });

  it('publish to subscribers shares the compression too', async () => {
    await start({ serverNoContextTakeover: true });
    const receivers = await connectMany(40, {});
    for (const connection of connections()) connection.subscribe('news');
    const message = json(4);
    const received = Promise.all(receivers.map((ws) => nextMessages(ws, 1)));
    const before = deflateCounter.messages;
    server!.publish('news', message);
    for (const [text] of await received) expect(text).toBe(message);
    expect(deflateCounter.messages - before).toBe(1);
  });

  it('a client offering server_no_context_takeover shares even when the server keeps context by default', async () => {
    await start({});
    const sharing = await connectMany(10, { serverNoContextTakeover: true });
    const own = await connectMany(10, {});
    const message = json(5);
    const received = Promise.all([...sharing, ...own].map((ws) => nextMessages(ws, 1)));
    const before = deflateCounter.messages;
    server!.broadcast(message);
    for (const [text] of await received) expect(text).toBe(message);
    // One shared compression, and one per context-takeover client.
    expect(deflateCounter.messages - before).toBe(1 + own.length);
  });
});

describe('order and the messages that are not compressed', () => {
  it('keeps each connection in send order across send(), broadcast() and publish(), takeover or not', async () => {
    await start({});
    const sharing = await connectMany(15, { serverNoContextTakeover: true });
    const own = await connectMany(15, {});
    const all = [...sharing, ...own];
    const conns = connections();
    for (const connection of conns) connection.subscribe('t');
    const big = [json(10), json(11), json(12)];
    const expected: string[][] = all.map(() => []);
    const received = Promise.all(all.map((ws) => nextMessages(ws, 9)));
    // Per connection: its own big message, a shared broadcast, a small own message, a publish,
    // a broadcast under the threshold, a broadcast sent uncompressed, then more of both kinds.
    const sequence: ((index: number) => void)[] = [
      (i) => conns[i].send(`${big[0]} own ${i}`),
      () => server!.broadcast(big[1]),
      (i) => conns[i].send(`small ${i}`),
      () => server!.publish('t', big[2]),
      () => server!.broadcast('tiny'),
      () => server!.broadcast(big[0], { compress: false }),
      (i) => conns[i].send(`${big[2]} again ${i}`),
      () => server!.publish('t', big[0]),
      () => server!.broadcast(big[1] + 'last'),
    ];
    const texts = (step: number, i: number): string =>
      [
        `${big[0]} own ${i}`,
        big[1],
        `small ${i}`,
        big[2],
        'tiny',
        big[0],
        `${big[2]} again ${i}`,
        big[0],
        big[1] + 'last',
      ][step];
    for (let step = 0; step < sequence.length; step++) {
      const perConnection = step === 0 || step === 2 || step === 6;
      if (perConnection) conns.forEach((_, i) => sequence[step](i));
      else sequence[step](0);
      conns.forEach((_, i) => expected[i].push(texts(step, i)));
    }
    const got = await received;
    // Clients and server connections are matched through what each was sent on its own.
    for (const messages of got) {
      const index = Number(/own (\d+)$/.exec(messages[0] as string)![1]);
      expect(messages).toEqual(expected[index]);
    }
  });

  it('sends broadcasts under the threshold and with compress: false uncompressed (RSV1 clear)', async () => {
    await start({ serverNoContextTakeover: true, threshold: 1024 });
    raws.push(await RawClient.connect(url, 'permessage-deflate'));
    await until(() => server!.clients.size === 1);
    const before = deflateCounter.messages;
    server!.broadcast('x'.repeat(1023));
    server!.broadcast(json(6), { compress: false });
    server!.broadcast('');
    const small = (await raws[0].nextFrame())!;
    const plain = (await raws[0].nextFrame())!;
    const empty = (await raws[0].nextFrame())!;
    expect([small.rsv, plain.rsv, empty.rsv]).toEqual([0, 0, 0]);
    expect(small.payload.toString()).toBe('x'.repeat(1023));
    expect(plain.payload.toString()).toBe(json(6));
    expect(empty.payload.length).toBe(0);
    expect(deflateCounter.messages - before).toBe(0);
  });

  it('a connection that closes while the shared compression runs does not stop the others', async () => {
    await start({ serverNoContextTakeover: true });
    const receivers = await connectMany(20, {});
    const [first, ...rest] = connections();
    const message = json(7);
    const received = Promise.allSettled(receivers.map((ws) => nextMessages(ws, 1)));
    server!.broadcast(message);
    first.terminate(); // before the compression, which is asynchronous, is over
    const results = await received;
    const delivered = results.filter((result) => result.status === 'fulfilled');
    expect(delivered.length).toBeGreaterThanOrEqual(receivers.length - 1);
    for (const result of delivered) expect(result.value[0]).toBe(message);
    expect(rest.every((connection) => connection.isOpen)).toBe(true);
  });
});
