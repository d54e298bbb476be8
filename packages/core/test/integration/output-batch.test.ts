/**
 * Frames written while one socket chunk is parsed leave together (output-batch.ts): these pin
 * what the batch must not change: order, the FIN after the last frame, send callbacks, and
 * `bufferedAmount` counting what is held.
 */
import type { Connection } from '@ws/core';
import { useHarness } from '../helpers/harness';
import { frame, op, text } from '../helpers/frames';

const h = useHarness();

const echo = (data: string | Buffer, c: Connection, isBinary: boolean): void => {
  c.send(data, { binary: isBinary });
};

describe('replies to one chunk of pipelined frames', () => {
  it('arrive in order, pongs in place, for a chunk of 200 messages', async () => {
    const { port, server } = await h.server();
    server.on('message', echo);
    const raw = await h.raw(port);
    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      sent.push(i % 50 === 7 ? frame({ opcode: op.ping, payload: `p${i}` }) : text(`m${i}`));
    }
    raw.send(Buffer.concat(sent));
    await raw.frameAt(200);
    const got = raw.frames.slice(0, 200).map((f) => `${f.opcode}:${f.payload.toString()}`);
    const expected = Array.from({ length: 200 }, (_, i) => (i % 50 === 7 ? `${op.pong}:p${i}` : `${op.text}:m${i}`));
    expect(got).toEqual(expected);
  });

  it('keep their order around a large reply that is written apart', async () => {
    const { port, server } = await h.server();
    server.on('message', (data: string | Buffer, c: Connection) => {
      c.send(data === 'big' ? 'z'.repeat(100_000) : data);
    });
    const raw = await h.raw(port);
    raw.send(Buffer.concat([text('a'), text('big'), text('b')]));
    await raw.frameAt(3);
    expect(raw.frames.slice(0, 3).map((f) => f.payload.length)).toEqual([1, 100_000, 1]);
  });

  it('go out before the close frame and the FIN when a later frame in the chunk fails the connection', async () => {
    const { port, server } = await h.server();
    server.on('message', echo);
    const raw = await h.raw(port);
    raw.send(Buffer.concat([text('one'), text('two'), text(Buffer.from([0xff]))]));
    expect(await raw.closeCode()).toBe(1007);
    await raw.closed;
    expect(raw.dataFrames().map((f) => f.payload.toString())).toEqual(['one', 'two']);
  });

  it('run a send callback once its message is written', async () => {
    const { port, server } = await h.server();
    const written = new Promise<unknown>((resolve) => {
      server.on('message', (data: string | Buffer, c: Connection) => c.send(data, resolve));
    });
    const raw = await h.raw(port);
    raw.send(Buffer.concat([text('x'), text('y')]));
    expect(await written).toBeFalsy();
    await raw.frameAt(2);
  });

  it('count in bufferedAmount while they are held', async () => {
    const { port, server } = await h.server();
    const seen = new Promise<number[]>((resolve) => {
      server.on('message', (_data: string | Buffer, c: Connection) => {
        const before = c.bufferedAmount;
        c.send('0123456789');
        resolve([before, c.bufferedAmount]);
      });
    });
    const raw = await h.raw(port);
    raw.send(text('go'));
    const [before, after] = await seen;
    expect(after - before).toBe(12); // 2-byte header and 10 bytes of payload, not yet written
    await raw.frameAt(1);
  });
});
