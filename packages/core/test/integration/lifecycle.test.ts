/**
 * A connection's life past the happy path (README: "Every close path is bounded by
 * closeTimeout", send callbacks, `drain`, throwing listeners, `close()` during handshakes):
 * regression tests for defects found in review, over real sockets on 127.0.0.1. Listeners that
 * throw are watched in a child process (helpers/hardening-fixture-throwing-listeners.ts), where
 * an uncaught exception does not fail whichever jest test is running.
 */
import type { Connection, Extension } from '@ws/core';
import { delay, until } from '../helpers/events';
import { frame, op, ping } from '../helpers/frames';
import { runHardeningFixture } from '../helpers/hardening-child';
import { delayedEncode, stalledEncode } from '../helpers/hardening-extensions';
import { useHarness } from '../helpers/harness';
import { connectTcp, readResponse, upgradeRequest, type RawResponse } from '../helpers/raw-http';

const h = useHarness();

const MiB = 1024 * 1024;
const CLOSE_TIMEOUT = 300;
/** Slack over `closeTimeout` for a loaded machine; a close that is never bounded takes forever. */
const SLACK = 1000;

/** A raw client past a 101 (socket paused: it reads nothing), having sent `after` in the same write. */
async function upgradeWith(
  port: number,
  headers: Record<string, string> = {},
  after: Buffer = Buffer.alloc(0),
): Promise<RawResponse> {
  const socket = await connectTcp(port, h.trackSocket);
  socket.write(Buffer.concat([Buffer.from(upgradeRequest({ headers })), after]));
  const response = await readResponse(socket);
  expect(response.status).toBe(101);
  return response;
}

describe('README: every close path is bounded by closeTimeout', () => {
  it('a client that half-closes TCP (no close frame) while lots is queued for it is closed within closeTimeout, as 1006', async () => {
    const { port, connection } = await h.server({ closeTimeout: CLOSE_TIMEOUT });
    const { socket } = await upgradeWith(port);
    const { connection: conn, events } = await connection();
    conn.send(Buffer.alloc(16 * MiB)); // more than loopback buffers hold, and the client reads none
    await delay(50);
    const start = Date.now();
    socket.end();
    const [code, , wasClean] = await events.nth('close', 0, CLOSE_TIMEOUT + SLACK);
    expect([code, wasClean]).toEqual([1006, false]);
    expect(Date.now() - start).toBeLessThan(CLOSE_TIMEOUT + SLACK);
  });

  it("close() while a message is stuck in an extension's encode still ends within closeTimeout", async () => {
    const { port, connection } = await h.server({ closeTimeout: CLOSE_TIMEOUT, extensions: [stalledEncode()] });
    await upgradeWith(port, { 'Sec-WebSocket-Extensions': 'x-stall' });
    const { connection: conn, events } = await connection();
    conn.send('never encoded');
    const start = Date.now();
    conn.close();
    const [code] = await events.nth('close', 0, CLOSE_TIMEOUT + SLACK);
    expect(code).toBe(1006);
    expect(Date.now() - start).toBeLessThan(CLOSE_TIMEOUT + SLACK);
  });
});

describe('README: send callbacks are never lost', () => {
  type Ending = 'the peer breaks the protocol' | 'terminate()';

  /**
   * Three sends queued as the connection opens, then the connection ends: a reserved-opcode frame
   * that came with the upgrade request (parsed right after the `connection` event), or terminate().
   */
  async function sendThenEnd(
    extensions: Extension[],
    offer: string,
    ending: Ending,
  ): Promise<Array<Error | null | undefined>[]> {
    const { server, port } = await h.server({ extensions });
    const calls: Array<Error | null | undefined>[] = [[], [], []];
    server.on('connection', (conn: Connection) => {
      for (let i = 0; i < 3; i++) conn.send(`message ${i}`, (error) => calls[i].push(error));
      if (ending === 'terminate()') conn.terminate();
    });
    const headers: Record<string, string> = offer === '' ? {} : { 'Sec-WebSocket-Extensions': offer };
    await upgradeWith(port, headers, ending === 'the peer breaks the protocol' ? frame({ opcode: 3 }) : undefined);
    await until(() => calls.every((c) => c.length > 0), 'every send callback');
    await delay(50); // a callback called twice would show by now
    return calls;
  }

  it.each<Ending>(['the peer breaks the protocol', 'terminate()'])(
    'with an async extension, sends still queued when %s get their callback called once, with an error',
    async (ending) => {
      const calls = await sendThenEnd([delayedEncode([50])], 'x-delay', ending);
      expect(calls.map((c) => c.length)).toEqual([1, 1, 1]);
      for (const [error] of calls) expect(error).toBeInstanceOf(Error);
    },
  );

  it.each<Ending>(['the peer breaks the protocol', 'terminate()'])(
    'without extensions, sends already written when %s get their callback called once',
    async (ending) => {
      const calls = await sendThenEnd([], '', ending);
      expect(calls.map((c) => c.length)).toEqual([1, 1, 1]);
    },
  );
});

describe('README: drain', () => {
  it('with an async extension, a large send then a small one: drain fires once bufferedAmount is 0', async () => {
    // The first encode is quick and the second slow (150 ms): the socket drains the large message
    // while the small one still waits on the extension, and drain is owed until it is written too.
    const { port, connection } = await h.server({ extensions: [delayedEncode([0, 150])] });
    await h.raw(port, { headers: { 'Sec-WebSocket-Extensions': 'x-delay' } });
    const { connection: conn, events } = await connection();
    const atDrain: number[] = [];
    conn.on('drain', () => atDrain.push(conn.bufferedAmount));
    conn.send(Buffer.alloc(4 * MiB));
    conn.send(Buffer.alloc(100));
    await events.nth('drain', 0, 3000);
    // bufferedAmount counts messages waiting on the extension too: 0 means both were handed on.
    expect(atDrain[0]).toBe(0);
  });
});

describe('server.close() during a handshake', () => {
  it('answers a handshake still waiting on an async verifyClient with 503 at once, and emits shutdown', async () => {
    let verifying = false;
    const { server, port, events } = await h.server({
      handshakeTimeout: 10_000,
      verifyClient: () => {
        verifying = true;
        return new Promise<boolean>(() => undefined); // never answers
      },
    });
    const socket = await connectTcp(port, h.trackSocket);
    socket.write(upgradeRequest());
    await until(() => verifying, 'verifyClient to be called');
    const start = Date.now();
    void server.close();
    const response = await readResponse(socket, 1000);
    expect(response.status).toBe(503);
    expect(Date.now() - start).toBeLessThan(1000);
    await events.nth('shutdown', 0, 1000);
  });
});

describe('RFC 6455 §5.5.2: pings after the server sent its close frame', () => {
  it("are answered with a pong until the client's close arrives", async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port, { echoClose: false });
    const { connection: conn, events } = await connection();
    conn.close(1000, 'bye');
    expect(await raw.closeCode()).toBe(1000);
    raw.send(ping('still there?'));
    await until(() => raw.frames.some((f) => f.opcode === op.pong), 'a pong');
    expect(raw.frames.find((f) => f.opcode === op.pong)?.payload.toString()).toBe('still there?');
    raw.sendClose(1000);
    const [, , wasClean] = await events.nth('close');
    expect(wasClean).toBe(true);
  });
});

describe('listeners that throw (in a child process)', () => {
  interface FixtureResult {
    uncaught: string[];
    serverCloseEvents: number;
    heldInCloseListener: boolean;
    clientsAfterClose: number;
    shutdownCallback: boolean;
    shutdownEvent: boolean;
    messages: string[];
  }
  const run = async (scenario: string): Promise<FixtureResult> =>
    (await runHardeningFixture('throwing-listeners', [scenario])) as FixtureResult;

  it.each([
    ['the client closes, then server.close() is called', 'close-then-shutdown'],
    ['server.close() closes the connection', 'shutdown-closes'],
  ])(
    'a throwing close listener (%s): the error is not swallowed, the connection leaves clients first, the server emits close, and close() completes',
    async (_, scenario) => {
      const result = await run(scenario);
      expect(result).toMatchObject({
        uncaught: ['close listener bug'],
        heldInCloseListener: false,
        serverCloseEvents: 1,
        clientsAfterClose: 0,
        shutdownCallback: true,
        shutdownEvent: true,
      });
    },
  );

  it('a throwing connection listener: the message sent in the same TCP write as the upgrade request is still delivered', async () => {
    const result = await run('connection-head');
    expect(result.uncaught).toEqual(['connection listener bug']);
    expect(result.messages).toEqual(['first', 'second']);
  });
});
