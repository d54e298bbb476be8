import { CloseCode, Opcode, type Connection } from '@ws/core';
import { heartbeat } from '@ws/heartbeat';
import type WebSocket from 'ws';
import { closeOf, silentClient, sleep, startServer, wsClient, type Started } from './helpers/sockets';

/**
 * The heartbeat over real sockets on 127.0.0.1, on real time with short intervals. Bounds carry
 * slack for a loaded CI machine: the tick granularity is 10 ms, the slack well above that.
 */
const INTERVAL = 80;
const SLACK = 250;

let started: Started | undefined;
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await started?.stop();
  started = undefined;
});

async function client(options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = await wsClient(started!.url, options);
  clients.push(ws);
  return ws;
}

describe('a client that stops answering pings', () => {
  it('(ws, autoPong: false) is closed with 1011 "heartbeat timeout" within interval + timeout', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL, timeout: 60 }));
    const serverClose = new Promise((resolve) => started!.server.once('close', resolve));
    const connected = performance.now();
    const ws = await client({ autoPong: false });
    let pings = 0;
    ws.on('ping', () => pings++);
    const { code, reason, at } = await closeOf(ws);
    expect(code).toBe(CloseCode.InternalError);
    expect(reason).toBe('heartbeat timeout');
    expect(pings).toBe(1);
    expect(at - connected).toBeLessThan(INTERVAL + 60 + SLACK);
    await serverClose;
    expect(started.server.clients.size).toBe(0);
  });

  it('(raw socket ignoring every frame) gets a ping, then a close frame with the code, then TCP is closed', async () => {
    const closeTimeout = 150;
    started = await startServer(heartbeat({ interval: INTERVAL, timeout: 60 }), { closeTimeout });
    const serverClose = new Promise<[number, boolean]>((resolve) =>
      started!.server.once('close', (_c, code, _r, wasClean) => resolve([code, wasClean])),
    );
    const connected = performance.now();
    const raw = await silentClient(started.port);
    try {
      const ping = await raw.next(Opcode.Ping);
      const close = await raw.next(Opcode.Close);
      expect(close.payload.readUInt16BE(0)).toBe(1011);
      expect(close.payload.subarray(2).toString()).toBe('heartbeat timeout');
      expect(close.at - ping.at).toBeGreaterThanOrEqual(55); // never before the timeout
      expect(close.at - connected).toBeLessThan(INTERVAL + 60 + SLACK);
      // The peer never answers the close: TCP is still closed, within a close timeout.
      const closedAt = await raw.closed;
      expect(closedAt - close.at).toBeLessThan(Math.max(closeTimeout, 60) + SLACK);
      // No close frame came back, so the server reports an abnormal closure.
      expect(await serverClose).toEqual([CloseCode.Abnormal, false]);
      expect(raw.frames.map((f) => f.opcode)).toEqual([Opcode.Ping, Opcode.Close]);
    } finally {
      raw.socket.destroy();
    }
  });

  it.each([
    // closeTimeout of the server, heartbeat timeout: whichever is shorter ends TCP
    ['the core closeTimeout', 100, 1000],
    ["the heartbeat's own deadline", 5000, 100],
  ])('a peer that never answers the close frame is dropped by %s', async (_name, closeTimeout, timeout) => {
    started = await startServer(heartbeat({ interval: INTERVAL, timeout }), { closeTimeout });
    const raw = await silentClient(started.port);
    try {
      const close = await raw.next(Opcode.Close);
      const closedAt = await raw.closed;
      const waited = closedAt - close.at;
      expect(waited).toBeGreaterThanOrEqual(Math.min(closeTimeout, timeout) - 15);
      expect(waited).toBeLessThan(Math.min(closeTimeout, timeout) + SLACK);
    } finally {
      raw.socket.destroy();
    }
  });

  it('is reported by heartbeatTimeout on the connection and on the server', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL }));
    const events: string[] = [];
    started.server.on('connection', (connection) => {
      connection.on('heartbeatTimeout', () => events.push(`connection, open=${connection.isOpen}`));
    });
    const onServer = new Promise<Connection>((resolve) => started!.server.once('heartbeatTimeout', resolve));
    const ws = await client({ autoPong: false });
    const closed = closeOf(ws);
    const connection = await onServer;
    expect(events).toEqual(['connection, open=false']); // the close frame is already on its way
    expect(connection.readyState).toBe(2); // CLOSING
    expect((await closed).code).toBe(1011);
  });

  it('only the silent clients are closed; the answering ones stay', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL }));
    const healthy = await Promise.all(Array.from({ length: 5 }, () => client()));
    const silent = await Promise.all(Array.from({ length: 5 }, () => client({ autoPong: false })));
    const closes = await Promise.all(silent.map(closeOf));
    expect(closes.map((c) => c.code)).toEqual(Array(5).fill(1011));
    await sleep(2 * INTERVAL);
    expect(healthy.map((ws) => ws.readyState)).toEqual(Array(5).fill(1)); // OPEN
    expect(started.server.clients.size).toBe(5);
  });
});

describe('a healthy client', () => {
  it('stays connected across many intervals, pinged about once per interval', async () => {
    const interval = 50;
    started = await startServer(heartbeat({ interval, payload: 'are you there?' }));
    const ws = await client();
    const payloads: string[] = [];
    ws.on('ping', (data) => payloads.push(data.toString()));
    let closed = false;
    ws.on('close', () => (closed = true));
    await sleep(15 * interval);
    expect(closed).toBe(false);
    expect(ws.readyState).toBe(1);
    // 15 intervals: the first ping within one interval, then one per interval (timers may run late).
    expect(payloads.length).toBeGreaterThanOrEqual(8);
    expect(payloads.length).toBeLessThanOrEqual(15);
    expect(new Set(payloads)).toEqual(new Set(['are you there?']));
  });

  it('has its round trip measured: latency events on connection and server, equal to connection.latency', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL }));
    const onConnection: number[] = [];
    const onServer: Array<[Connection, number]> = [];
    const sent: Buffer[] = [];
    const mirrored: Array<number | undefined> = [];
    let connection: Connection | undefined;
    started.server.on('connection', (c) => {
      connection = c;
      c.on('latency', (ms) => {
        onConnection.push(ms);
        mirrored.push(c.latency);
      });
      c.on('heartbeat', (payload) => sent.push(payload));
    });
    started.server.on('latency', (c, ms) => onServer.push([c, ms]));
    await client();
    await sleep(4 * INTERVAL);
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(onConnection.length).toBeGreaterThanOrEqual(3);
    expect(onServer.map(([c]) => c)).toEqual(onConnection.map(() => connection));
    expect(onServer.map(([, ms]) => ms)).toEqual(onConnection);
    expect(mirrored).toEqual(onConnection);
    for (const ms of onConnection) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(INTERVAL); // loopback: an answer well within the interval
    }
  });

  it('emits heartbeat on the server for each ping it sends, with the payload', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL, payload: Buffer.from([1, 2, 3]) }));
    const sent: Array<[Connection, Buffer]> = [];
    started.server.on('heartbeat', (connection, payload) => sent.push([connection, payload]));
    const ws = await client();
    const received: Buffer[] = [];
    ws.on('ping', (data) => received.push(data));
    await sleep(3 * INTERVAL);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every(([c, p]) => c === [...started!.server.clients][0] && p.equals(Buffer.from([1, 2, 3])))).toBe(
      true,
    );
    expect(received.length).toBe(sent.length);
  });

  it('with countActivity, is not pinged while it talks, and not closed although it never pongs', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL, countActivity: true }));
    const ws = await client({ autoPong: false });
    let pings = 0;
    ws.on('ping', () => pings++);
    const chatter = setInterval(() => ws.send('still here'), 20);
    try {
      await sleep(8 * INTERVAL);
    } finally {
      clearInterval(chatter);
    }
    expect(pings).toBe(0);
    expect(ws.readyState).toBe(1);
    // Silent from now on, and not answering: pinged, then closed.
    const { code } = await closeOf(ws);
    expect(code).toBe(1011);
    expect(pings).toBe(1);
  });

  it('with countActivity, its own pings count as signs of life', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL, countActivity: true }));
    const ws = await client({ autoPong: false });
    let pings = 0;
    ws.on('ping', () => pings++);
    const keepAlive = setInterval(() => ws.ping(), 20);
    try {
      await sleep(6 * INTERVAL);
    } finally {
      clearInterval(keepAlive);
    }
    expect(pings).toBe(0);
    expect(ws.readyState).toBe(1);
  });
});

describe('lifecycle', () => {
  it('after server.close(), no timer is left and every connection is forgotten', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL }));
    await Promise.all([client(), client(), client({ autoPong: false })]);
    const { instance } = started;
    expect(instance.size).toBe(3);
    expect(instance.isRunning).toBe(true);
    const shutdown = started.stop();
    started = undefined;
    expect(instance.isRunning).toBe(false);
    await shutdown;
    expect(instance.size).toBe(0);
    expect(instance.isRunning).toBe(false);
  });

  it('the timer runs only while connections are open', async () => {
    started = await startServer(heartbeat({ interval: INTERVAL }));
    expect(started.instance.isRunning).toBe(false);
    const ws = await client();
    expect(started.instance.isRunning).toBe(true);
    const closed = new Promise((resolve) => started!.server.once('close', resolve));
    ws.close();
    await closed;
    expect(started.instance.size).toBe(0);
    expect(started.instance.isRunning).toBe(false);
  });

  it('one plugin object serves two servers, each with its own wheel', async () => {
    const plugin = heartbeat({ interval: INTERVAL });
    started = await startServer(plugin);
    const other = await startServer(plugin);
    try {
      const closedOnFirst = new Promise((resolve) => started!.server.once('close', resolve));
      const a = await client({ autoPong: false });
      const b = await wsClient(other.url);
      clients.push(b);
      expect((await closeOf(a)).code).toBe(1011);
      await closedOnFirst;
      expect(b.readyState).toBe(1);
      expect(other.instance.size).toBe(1);
      expect(started.instance.size).toBe(0);
    } finally {
      await other.stop();
    }
  });
});
