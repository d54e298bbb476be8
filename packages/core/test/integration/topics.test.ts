/**
 * Topics (README, Topics): `connection.subscribe`/`unsubscribe`/`isSubscribed`/`topics`,
 * `server.publish`/`publishLocal`/`subscriberCount`/`topics()`, and the plugin hooks a pub/sub
 * adapter builds on (README, "Writing a pub/sub adapter"), over real sockets with `ws` and raw
 * clients. "Not received" is asserted with a marker sent after the publish (fan-out-clients.ts).
 */
import { constants, inflateRawSync } from 'node:zlib';
import { Connection, type Plugin, type PluginInstance } from '@ws/core';
import { deflate } from '@ws/deflate';
import { Recorder, delay, until } from '../helpers/events';
import { clientsOf, receivedBeforeMarker } from '../helpers/fan-out-clients';
import { useHarness } from '../helpers/harness';
import { upgradeRequest } from '../helpers/raw-http';
import { xorExtension } from '../helpers/xor-extension';

const h = useHarness();

/** Connections subscribed to the topics named per index (`[['a'], [], ['a', 'b']]`). */
async function subscribed(topicsPerClient: string[][], options = {}) {
  const started = await h.server(options);
  const { clients, connections } = await clientsOf(h, started, topicsPerClient.length);
  topicsPerClient.forEach((topics, i) => topics.forEach((topic) => connections[i].subscribe(topic)));
  return { started, server: started.server, clients, connections };
}

/** A plugin whose instance logs every topic hook as `<name> <hook> <topic>`. */
function loggingPlugin(name: string, log: string[], overrides: Partial<PluginInstance> = {}): Plugin {
  return {
    name,
    attach: () => ({
      onTopicOpen: (topic) => log.push(`${name} open ${topic}`),
      onTopicClose: (topic) => log.push(`${name} close ${topic}`),
      onPublish: (topic, payload, flags) =>
        log.push(`${name} publish ${topic} ${payload.toString('hex')} ${JSON.stringify(flags)}`),
      ...overrides,
    }),
  };
}

const DEFLATE_OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate' };

/** The text of a permessage-deflate payload (RFC 7692 §7.2.2: the stripped tail is put back). */
function inflated(payload: Buffer): string {
  const tail = Buffer.from([0, 0, 0xff, 0xff]);
  return inflateRawSync(Buffer.concat([payload, tail]), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
}

describe('connection.subscribe and friends', () => {
  it('subscribes once, reports it, and unsubscribes', async () => {
    const { connections } = await subscribed([[]]);
    const [connection] = connections;
    expect(connection.subscribe('news')).toBe(true);
    expect(connection.subscribe('news')).toBe(false);
    expect(connection.subscribe('sport')).toBe(true);
    expect(connection.isSubscribed('news')).toBe(true);
    expect([...connection.topics]).toEqual(['news', 'sport']);
    expect(connection.unsubscribe('news')).toBe(true);
    expect(connection.unsubscribe('news')).toBe(false);
    expect(connection.isSubscribed('news')).toBe(false);
    expect([...connection.topics]).toEqual(['sport']);
  });

  it('gives topics as a read-only set', async () => {
    const { connections } = await subscribed([['news']]);
    expect(() => (connections[0].topics as Set<string>).add('sport')).toThrow(TypeError);
    expect(connections[0].isSubscribed('sport')).toBe(false);
  });

  it('refuses a topic that is not a string', async () => {
    const { connections } = await subscribed([[]]);
    expect(() => connections[0].subscribe(7 as unknown as string)).toThrow(TypeError);
  });

  it('counts subscribers and lists topics with at least one', async () => {
    const { server, connections } = await subscribed([['a'], ['a', 'b'], []]);
    expect([server.subscriberCount('a'), server.subscriberCount('b'), server.subscriberCount('c')]).toEqual([2, 1, 0]);
    expect([...server.topics()].sort()).toEqual(['a', 'b']);
    connections[1].unsubscribe('b');
    expect([...server.topics()]).toEqual(['a']);
  });

  it('ends subscriptions when the connection closes, before close listeners run', async () => {
    const { started, server, clients, connections } = await subscribed([['a', 'b'], ['b']]);
    const seenInListener: Array<{ topics: string[]; a: number; b: number }> = [];
    server.on('close', (connection: Connection) => {
      seenInListener.push({
        topics: [...connection.topics],
        a: server.subscriberCount('a'),
        b: server.subscriberCount('b'),
      });
    });
    clients[0].ws.close();
    await (await started.connection(0)).events.nth('close');
    expect(seenInListener).toEqual([{ topics: [], a: 0, b: 1 }]);
    expect(connections[0].isSubscribed('a')).toBe(false);
    expect([...server.topics()]).toEqual(['b']);
  });

  it('refuses to subscribe a connection that is no longer open', async () => {
    const { started, server, clients, connections } = await subscribed([[]]);
    clients[0].ws.close();
    await (await started.connection(0)).events.nth('close');
    expect(connections[0].subscribe('late')).toBe(false);
    expect(server.subscriberCount('late')).toBe(0);
    expect([...server.topics()]).toEqual([]);
  });
});

describe('server.publish', () => {
  it('delivers text to the subscribers of the topic only', async () => {
    const { server, clients, connections } = await subscribed([['news'], ['sport'], ['news', 'sport'], []]);
    server.publish('news', 'hello');
    expect(await receivedBeforeMarker(clients, connections)).toEqual([['hello'], [], ['hello'], []]);
  });

  it('delivers a Buffer as binary, and a string as binary on request', async () => {
    const { server, clients } = await subscribed([['t']]);
    server.publish('t', Buffer.from([1, 2, 3]));
    server.publish('t', new Uint8Array([4, 5]));
    server.publish('t', 'bytes', { binary: true });
    server.publish('t', Buffer.from('text'), { binary: false });
    await clients[0].message(3);
    expect(clients[0].messages).toEqual([
      { data: Buffer.from([1, 2, 3]), isBinary: true },
      { data: Buffer.from([4, 5]), isBinary: true },
      { data: Buffer.from('bytes'), isBinary: true },
      { data: 'text', isBinary: false },
    ]);
  });

  it('refuses { binary: false } with data that is not UTF-8, before delivering anything', async () => {
    const { server, clients, connections } = await subscribed([['t']]);
    expect(() => server.publish('t', Buffer.from([0xff, 0xfe]), { binary: false })).toThrow(TypeError);
    expect(await receivedBeforeMarker(clients, connections)).toEqual([[]]);
  });

  it('skips the connection given as except', async () => {
    const { server, clients, connections } = await subscribed([['room'], ['room'], ['room']]);
    server.publish('room', 'not to the sender', { except: connections[1] });
    expect(await receivedBeforeMarker(clients, connections)).toEqual([
      ['not to the sender'],
      [],
      ['not to the sender'],
    ]);
  });

  it('keeps the order of messages on each subscriber, across topics', async () => {
    const { server, clients } = await subscribed([['a', 'b']]);
    for (let i = 0; i < 20; i++) server.publish(i % 2 === 0 ? 'a' : 'b', String(i));
    await clients[0].message(19);
    expect(clients[0].messages.map((m) => m.data)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('keeps a direct send between publishes in its place (one cork holds both until the next tick)', async () => {
    const { server, clients, connections } = await subscribed([['t'], ['t']]);
    server.publish('t', 'first');
    connections[0].send('direct');
    server.broadcast('broadcast');
    server.publish('t', 'last');
    await clients[0].message(3);
    await clients[1].message(2);
    expect(clients[0].messages.map((m) => m.data)).toEqual(['first', 'direct', 'broadcast', 'last']);
    expect(clients[1].messages.map((m) => m.data)).toEqual(['first', 'broadcast', 'last']);
  });

  it('compresses for a deflate subscriber, and not with { compress: false }', async () => {
    const started = await h.server({ extensions: [deflate({ threshold: 0 })] });
    const raw = await h.raw(started.port, { headers: DEFLATE_OFFER });
    (await started.connection(0)).connection.subscribe('t');
    const text = 'squeeze me '.repeat(20);
    started.server.publish('t', text);
    started.server.publish('t', text, { compress: false });
    const [compressed, plain] = [await raw.frameAt(1), await raw.frameAt(2)];
    expect([compressed.rsv, inflated(compressed.payload)]).toEqual([0b100, text]);
    expect([plain.rsv, plain.payload.toString('utf8')]).toEqual([0, text]);
  });

  it('reaches deflate and plain subscribers of one topic alike', async () => {
    const started = await h.server({ extensions: [deflate({ threshold: 0 })] });
    const { clients, connections } = await clientsOf(h, started, 4, (i) => ({ perMessageDeflate: i % 2 === 0 }));
    expect(connections.map((c) => c.extensions.startsWith('permessage-deflate'))).toEqual([true, false, true, false]);
    for (const connection of connections) connection.subscribe('mixed');
    const big = 'x'.repeat(70_000); // past 64 KiB: a 64-bit length, and many deflate blocks
    started.server.publish('mixed', 'small');
    started.server.publish('mixed', big);
    started.server.publish('mixed', Buffer.from([9, 8, 7]));
    const received = await receivedBeforeMarker(clients, connections);
    for (const messages of received) expect(messages).toEqual(['small', big, Buffer.from([9, 8, 7])]);
  });

  it('encodes its own copy for a connection whose extension transforms messages', async () => {
    const xor = xorExtension();
    const started = await h.server({ extensions: [xor] });
    const raw = await h.raw(started.port, { headers: { 'Sec-WebSocket-Extensions': 'x-xor; key=7' } });
    const plain = await h.ws(started.url);
    for (let i = 0; i < 2; i++) (await started.connection(i)).connection.subscribe('t');
    started.server.publish('t', 'both');
    expect(await plain.message()).toEqual({ data: 'both', isBinary: false });
    expect((await raw.frameAt(1)).payload.map((byte) => byte ^ 7).toString()).toBe('both');
    expect(xor.stats.encoded).toBe(1);
  });

  it('goes on delivering to the others when subscribers vanish in the middle of a burst', async () => {
    const started = await h.server();
    const gone = await h.raw(started.port); // its socket is destroyed before the server knows
    const goneConnection = (await started.connection(0)).connection;
    const { clients, connections } = await clientsOf(h, started, 3);
    for (const connection of [goneConnection, ...connections]) connection.subscribe('burst');
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) {
      if (i === 10) gone.destroy();
      if (i === 25) connections[1].terminate(); // closes while the burst goes on
      sent.push(`m${i}`);
      started.server.publish('burst', sent[i]);
    }
    const survivors = [0, 2];
    const received = await receivedBeforeMarker(
      survivors.map((i) => clients[i]),
      survivors.map((i) => connections[i]),
    );
    expect(received).toEqual([sent, sent]);
    expect(clients[1].messages.length).toBeLessThan(50);
    await until(() => started.server.subscriberCount('burst') === 2, 'the vanished subscribers to be forgotten');
  });

  it('cuts off a subscriber that does not read (1013) while the others get every message', async () => {
    const limits = { maxBufferedAmount: 1024 * 1024, sendHighWaterMark: 256 * 1024 };
    const started = await h.server(limits);
    const stuckSocket = (await h.request(started.port, upgradeRequest())).socket; // paused: never reads
    const { connection: stuck } = await started.connection(0);
    const drops = new Recorder(stuck, ['dropped']);
    const { clients, connections } = await clientsOf(h, started, 2);
    for (const connection of [stuck, ...connections]) connection.subscribe('feed');
    const total = 160; // 10 MiB: past the limit and what the kernel takes for the non-reader
    for (let i = 0; i < total; i += 2) {
      for (const index of [i, i + 1]) started.server.publish('feed', Buffer.alloc(64 * 1024, index & 0xff));
      await delay(1);
    }
    for (const client of clients) await client.message(total - 1, 20_000);
    for (const client of clients) {
      expect(client.messages.map((m) => (m.data as Buffer)[0])).toEqual(
        Array.from({ length: total }, (_, i) => i & 0xff),
      );
    }
    expect(stuck.readyState).toBeGreaterThanOrEqual(Connection.CLOSING);
    expect(drops.count('dropped')).toBe(1); // closing after the first drop: later publishes skip it
    stuckSocket.destroy();
  });

  it('reaches nobody, and does not fail, when the topic has no subscriber', async () => {
    const { server, clients, connections } = await subscribed([['other']]);
    server.publish('empty', 'into the void');
    expect(await receivedBeforeMarker(clients, connections)).toEqual([[]]);
  });
});

describe('plugin hooks (the adapter seam)', () => {
  it('tells every plugin, in order, when a topic opens and closes here', async () => {
    const log: string[] = [];
    const { started, clients, connections } = await subscribed([[], []], {
      plugins: [loggingPlugin('A', log, { onPublish: undefined }), loggingPlugin('B', log, { onPublish: undefined })],
    });
    connections[0].subscribe('room'); // first: opens
    connections[1].subscribe('room');
    connections[1].subscribe('solo');
    connections[0].unsubscribe('room'); // not the last
    expect(log).toEqual(['A open room', 'B open room', 'A open solo', 'B open solo']);
    log.length = 0;
    clients[1].ws.close(); // its close ends both of its topics, each now empty
    await (await started.connection(1)).events.nth('close');
    expect(log.sort()).toEqual(['A close room', 'A close solo', 'B close room', 'B close solo']);
  });

  it('hands each local publish to onPublish after local delivery, with its bytes and flags', async () => {
    const log: string[] = [];
    const xor = xorExtension();
    const encodedWhenPublished: number[] = [];
    const probe: Plugin = {
      name: 'probe',
      attach: () => ({ onPublish: () => encodedWhenPublished.push(xor.stats.encoded) }),
    };
    const started = await h.server({ extensions: [xor], plugins: [loggingPlugin('A', log), probe] });
    await h.raw(started.port, { headers: { 'Sec-WebSocket-Extensions': 'x-xor' } });
    (await started.connection(0)).connection.subscribe('t');
    log.length = 0;
    started.server.publish('t', 'hi');
    started.server.publish('t', Buffer.from([1, 2]), { compress: false });
    started.server.publish('nobody-here', 'still crosses');
    expect(log).toEqual([
      `A publish t 6869 ${JSON.stringify({ binary: false, compress: true })}`,
      `A publish t 0102 ${JSON.stringify({ binary: true, compress: false })}`,
      `A publish nobody-here ${Buffer.from('still crosses').toString('hex')} ${JSON.stringify({ binary: false, compress: true })}`,
    ]);
    // The xor codec encodes synchronously: its count shows the local copy was made first.
    expect(encodedWhenPublished).toEqual([1, 2, 2]);
  });

  it('publishLocal delivers to local subscribers and never calls onPublish', async () => {
    const log: string[] = [];
    const { server, clients, connections } = await subscribed([['t'], []], { plugins: [loggingPlugin('A', log)] });
    log.length = 0;
    server.publishLocal('t', 'from another process');
    server.publishLocal('t', Buffer.from([7]), { binary: true });
    expect(await receivedBeforeMarker(clients, connections)).toEqual([['from another process', Buffer.from([7])], []]);
    expect(log).toEqual([]);
  });

  it('reports a throwing hook on the error event and still runs the other plugins and delivery', async () => {
    const log: string[] = [];
    const boom = (hook: string) => () => {
      throw new Error(`${hook} failed`);
    };
    const thrower: Plugin = {
      name: 'thrower',
      attach: () => ({ onTopicOpen: boom('open'), onTopicClose: boom('close'), onPublish: boom('publish') }),
    };
    const { started, server, clients, connections } = await subscribed([[], []], {
      plugins: [thrower, loggingPlugin('B', log)],
    });
    expect(connections[0].subscribe('t')).toBe(true);
    connections[1].subscribe('t');
    server.publish('t', 'delivered anyway');
    expect(await receivedBeforeMarker(clients, connections)).toEqual([['delivered anyway'], ['delivered anyway']]);
    connections[1].unsubscribe('t');
    clients[0].ws.close(); // the last subscriber leaves by closing: the close still completes
    await (await started.connection(0)).events.nth('close');
    expect(log.map((line) => line.split(' ').slice(0, 3).join(' '))).toEqual(['B open t', 'B publish t', 'B close t']);
    await started.events.nth('error', 2);
    expect(started.events.all('error').map(([error]) => (error as Error).message)).toEqual([
      'open failed',
      'publish failed',
      'close failed',
    ]);
  });

  it('calls no topic hook once server.close() has started', async () => {
    const log: string[] = [];
    const { server, connections } = await subscribed([['t'], []], { plugins: [loggingPlugin('A', log)] });
    log.length = 0;
    const shutdown = server.close();
    server.publish('t', 'late');
    await shutdown;
    expect(connections[0].isSubscribed('t')).toBe(false);
    expect(log).toEqual([]);
  });
});
