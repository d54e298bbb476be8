/**
 * Frames written while one socket chunk is parsed leave together (output-batch.ts): these pin
 * what the batch must not change: order, the FIN after the last frame, send callbacks, and
 * `bufferedAmount` counting what is held.
 */
import * as net from 'node:net';
import type { Connection, UpgradeRequest } from '@ws/core';
import { useClients } from '../helpers/client';
import { delay, until } from '../helpers/events';
import { useHarness } from '../helpers/harness';
import { binary, frame, op, text } from '../helpers/frames';

const h = useHarness();
const c = useClients();

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

/** `count` distinct payloads of `size` bytes: the index, then filler that differs per message. */
function payloads(count: number, size: number, tag: string): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26))));
}

describe('replies written in place into the batch block (plain TCP sockets)', () => {
  it('arrive intact across the end of a block (300 replies of 1000 bytes from one chunk, 300 KB)', async () => {
    const { port, server } = await h.server();
    server.on('message', echo);
    const raw = await h.raw(port);
    const sent = payloads(300, 1000, 'm');
    // Text and binary replies alternate, with a pong among them: each kind of frame is written in place.
    raw.send(
      Buffer.concat(
        sent.map((p, i) => (i === 150 ? frame({ opcode: op.ping, payload: 'p' }) : i % 2 ? binary(p) : text(p))),
      ),
    );
    await raw.frameAt(300);
    const got = raw.frames.slice(0, 300).map((f) => f.payload.toString());
    expect(got).toEqual(sent.map((p, i) => (i === 150 ? 'p' : p)));
    expect(raw.frames[1].opcode).toBe(op.binary);
    expect(raw.frames[150].opcode).toBe(op.pong);
  });

  it('are one view of the block per chunk, and the room is lent again once a write went out at once', async () => {
    const { port, server } = await h.server();
    server.on('message', echo);
    let serverSocket: net.Socket | null = null;
    server.on('connection', (_c: Connection, request: UpgradeRequest) => {
      serverSocket = request.socket;
    });
    const raw = await h.raw(port);
    // Watched on the prototype: an own `write` on the socket would turn writing in place off.
    const written: Buffer[] = [];
    const original = net.Socket.prototype.write;
    net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
      if (this === serverSocket && Buffer.isBuffer(args[0])) written.push(args[0]);
      return (original as (...a: unknown[]) => boolean).apply(this, args);
    };
    try {
      for (let i = 0; i < 3; i++) {
        raw.send(text(`one${i}`), text(`two${i}`));
        await raw.frameAt(2 * i + 2);
      }
    } finally {
      net.Socket.prototype.write = original;
    }
    expect(raw.frames.map((f) => f.payload.toString())).toEqual(['one0', 'two0', 'one1', 'two1', 'one2', 'two2']);
    // Each chunk's replies leave as views of the one block (a kernel may split a chunk: more writes).
    const inBlock = written.filter((chunk) => chunk.buffer.byteLength === 64 * 1024);
    expect(inBlock.length).toBeGreaterThanOrEqual(3);
    const [, second, third] = inBlock.slice(-3);
    expect(third.buffer).toBe(second.buffer);
    expect(third.byteOffset).toBe(second.byteOffset);
  });

  it("are not written in place through a socket's own write, which may keep what it is given", async () => {
    const { port, server } = await h.server();
    server.on('message', echo);
    const kept: Buffer[] = [];
    const asWritten: Buffer[] = [];
    server.on('connection', (_c: Connection, request: UpgradeRequest) => {
      const socket = request.socket;
      const own = socket.write;
      // A tracing wrapper, say, that keeps every chunk for later.
      socket.write = function (this: net.Socket, ...args: unknown[]) {
        if (Buffer.isBuffer(args[0])) {
          kept.push(args[0]);
          asWritten.push(Buffer.from(args[0]));
        }
        return (own as (...a: unknown[]) => boolean).apply(this, args);
      };
    });
    const raw = await h.raw(port);
    for (let i = 0; i < 20; i++) {
      raw.send(text(`message ${i}`));
      await raw.frameAt(i + 1);
    }
    expect(kept.length).toBeGreaterThanOrEqual(20);
    expect(kept.findIndex((chunk, i) => !chunk.equals(asWritten[i]))).toBe(-1);
  });

  it('keep the bytes a socket holds back while other connections write in place after them', async () => {
    const { port, server, connection } = await h.server({ maxBufferedAmount: 256 * 1024 * 1024 });
    let heldMost = 0;
    server.on('message', (data: string | Buffer, conn: Connection, isBinary: boolean) => {
      conn.send(data, { binary: isBinary });
      heldMost = Math.max(heldMost, conn.bufferedAmount);
    });
    // A stops reading: what the server writes to it piles up in its socket, in the block's room.
    const slow = await h.raw(port);
    const slowConnection = (await connection(0)).connection;
    slow.socket.pause();
    // Until the kernel's buffers are full and the server's socket holds 2 MiB back (bounded).
    const slowSent: string[] = [];
    for (let batch = 0; batch < 120 && slowConnection.bufferedAmount <= 2 * 1024 * 1024; batch++) {
      const more = payloads(500, 1000, `s${batch}-`);
      slowSent.push(...more);
      slow.send(...more.map((p) => text(p)));
      await delay(20);
    }
    await until(() => slowConnection.bufferedAmount > 2 * 1024 * 1024, 'replies held back by the slow reader', 20_000);
    // B's replies are written in place over and over meanwhile, well past a block.
    const fast = await h.raw(port);
    const fastSent = payloads(2000, 1000, 'f');
    for (let i = 0; i < fastSent.length; i += 100) {
      fast.send(...fastSent.slice(i, i + 100).map((p) => text(p)));
      await fast.frameAt(i + 100);
    }
    expect(fast.frames.map((f) => f.payload.toString())).toEqual(fastSent);
    // A reads at last: every reply it was owed is as it was written.
    slow.socket.resume();
    await slow.frameAt(slowSent.length, 30_000);
    expect(heldMost).toBeGreaterThan(2 * 1024 * 1024);
    const slowGot = slow.frames.map((f) => f.payload.toString());
    expect(slowGot.length).toBe(slowSent.length);
    expect(slowGot.findIndex((p, i) => p !== slowSent[i])).toBe(-1);
  }, 60_000);

  it('are masked in place by a client answering a chunk of server messages', async () => {
    const { url, server } = await h.server();
    const sent = payloads(400, 200, 'c');
    const got: string[] = [];
    let finish: (error?: Error) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      finish = (error) => (error ? reject(error) : resolve());
    });
    server.on('message', (data: string | Buffer) => {
      got.push(String(data));
      if (got.length === sent.length) finish();
    });
    server.on('close', (_conn: Connection, code: number) => finish(new Error(`closed with ${code}`)));
    server.on('connection', (conn: Connection) => {
      for (const p of sent) conn.send(p);
    });
    const { connection } = await c.connect(url);
    connection.on('message', (data: string | Buffer, isBinary: boolean) => connection.send(data, { binary: isBinary }));
    await done;
    expect(got).toEqual(sent);
  });
});
