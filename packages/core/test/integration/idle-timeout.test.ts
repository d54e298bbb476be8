/**
 * `idleTimeout`: a connection that has received nothing for that long is closed with 1001; any
 * byte from the peer (a message, a ping, half a frame) counts as activity.
 */
import { Server } from '@ws/core';
import { delay } from '../helpers/events';
import { text } from '../helpers/frames';
import { useHarness } from '../helpers/harness';

const h = useHarness();
const IDLE = 600;
/** Closed between IDLE and 1.125 × IDLE after the last byte, plus a loaded machine's lateness. */
const LATE_MARGIN = 700;

describe('idleTimeout', () => {
  it('closes a connection that sends nothing with 1001 after idleTimeout', async () => {
    const { url, events } = await h.server({ idleTimeout: IDLE });
    const started = performance.now();
    const client = await h.ws(url);
    const { code, reason } = await client.closedWithin(IDLE + LATE_MARGIN + 1000);
    const elapsed = performance.now() - started;
    expect(code).toBe(1001);
    expect(reason).toBe('Idle timeout');
    expect(elapsed).toBeGreaterThanOrEqual(IDLE - 50);
    expect(elapsed).toBeLessThanOrEqual(IDLE + LATE_MARGIN);
    // The close handshake completed: the server reports the code the client echoed.
    const [, serverCode, , wasClean] = await events.nth('close');
    expect(serverCode).toBe(1001);
    expect(wasClean).toBe(true);
  });

  it.each([
    ['messages', (client: { ws: import('ws') }) => client.ws.send('x')],
    ['pings', (client: { ws: import('ws') }) => client.ws.ping()],
  ])('keeps a connection open while it sends %s, and closes it idleTimeout after it stops', async (_, act) => {
    const { url } = await h.server({ idleTimeout: IDLE });
    const client = await h.ws(url);
    for (let i = 0; i < 8; i++) {
      act(client);
      await delay(IDLE / 3);
    }
    expect(client.ws.readyState).toBe(client.ws.OPEN); // 1.6 s, well past idleTimeout
    const stopped = performance.now();
    expect((await client.closedWithin(IDLE + LATE_MARGIN + 1000)).code).toBe(1001);
    expect(performance.now() - stopped).toBeGreaterThanOrEqual(IDLE - IDLE / 3 - 50);
  });

  it('counts bytes, not frames: a frame sent a byte at a time keeps the connection open', async () => {
    const { port, server } = await h.server({ idleTimeout: IDLE });
    const raw = await h.raw(port);
    const frame = text('a frame that takes its time');
    for (const byte of frame) {
      raw.send(Buffer.from([byte]));
      await delay(IDLE / 6);
    }
    // About 3 s with no whole frame until the last byte, yet never idle for IDLE.
    expect(server.clients.size).toBe(1);
    expect(await raw.closeCode(IDLE + LATE_MARGIN + 1000)).toBe(1001);
  }, 15_000);

  it('is off by default and with 0', async () => {
    for (const options of [{}, { idleTimeout: 0 }]) {
      const { url } = await h.server(options);
      const client = await h.ws(url);
      await delay(300);
      expect(client.ws.readyState).toBe(client.ws.OPEN);
    }
  });

  it('closes each idle connection on its own time, leaving busy ones open', async () => {
    const { url, server } = await h.server({ idleTimeout: IDLE });
    const quiet = await h.ws(url);
    const busy = await h.ws(url);
    const chatter = setInterval(() => busy.ws.send('x'), IDLE / 4);
    try {
      expect((await quiet.closedWithin(IDLE + LATE_MARGIN + 1000)).code).toBe(1001);
      expect(busy.ws.readyState).toBe(busy.ws.OPEN);
    } finally {
      clearInterval(chatter);
    }
    await server.close();
    expect((await busy.closedWithin()).code).toBe(1001);
  });

  it.each([-1, Number.NaN, Infinity, 2 ** 31])('refuses idleTimeout %p', (idleTimeout) => {
    expect(() => new Server({ noServer: true, idleTimeout })).toThrow(RangeError);
  });
});
