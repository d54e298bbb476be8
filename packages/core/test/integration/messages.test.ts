/**
 * RFC 6455 §5.6 (data frames) and §5.1/§5.3 (who masks): text and binary messages both ways,
 * and the README's mapping of JavaScript values to opcodes.
 */
import type { Connection, SendData } from '@ws/core';
import { useHarness } from '../helpers/harness';
import { binary, frame, op, text } from '../helpers/frames';
import { expectSameBytes } from '../helpers/bytes';
import { connectTcp, readResponse, upgradeRequest } from '../helpers/raw-http';

const h = useHarness();

describe('RFC 6455 §5.6: client to server', () => {
  it('delivers text as a string on the connection and the server', async () => {
    const { url, connection, events } = await h.server();
    const client = await h.ws(url);
    client.ws.send('héllo 🌍');
    const { events: connectionEvents } = await connection();
    expect(await connectionEvents.nth('message')).toEqual(['héllo 🌍', false]);
    const [data, from, isBinary] = await events.nth('message');
    expect([data, from, isBinary]).toEqual(['héllo 🌍', (await connection()).connection, false]);
  });

  it('hears on a connection only while it has a message listener; the server hears every message', async () => {
    const { url, connection, events } = await h.server();
    const client = await h.ws(url);
    const { connection: opened } = await connection();
    opened.removeAllListeners('message'); // the harness's recorder: none from here on
    const heard: unknown[] = [];
    const listener = (data: unknown): void => void heard.push(data);
    client.ws.send('unheard');
    expect((await events.nth('message', 0))[0]).toBe('unheard');
    opened.on('message', listener);
    client.ws.send('heard');
    client.ws.send(Buffer.from([1]));
    await events.nth('message', 2);
    opened.off('message', listener);
    client.ws.send('after');
    expect((await events.nth('message', 3))[0]).toBe('after');
    expect(heard).toEqual(['heard', Buffer.from([1])]);
  });

  it('delivers binary as a Buffer', async () => {
    const { url, events } = await h.server();
    const client = await h.ws(url);
    client.ws.send(Buffer.from([0, 1, 2, 255]));
    const [data, , isBinary] = await events.nth('message');
    expect(Buffer.isBuffer(data)).toBe(true);
    expect([data, isBinary]).toEqual([Buffer.from([0, 1, 2, 255]), true]);
  });

  it.each([0, 1, 125, 126, 127, 65535, 65536, 200_000])('receives a %i-byte binary frame intact', async (length) => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    const payload = Buffer.alloc(length, 0xab);
    raw.send(binary(payload));
    expectSameBytes((await events.nth('message'))[0], payload);
  });

  it('receives an empty text message as an empty string', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(text(''));
    expect((await events.nth('message')).slice(0, 1)).toEqual(['']);
  });

  it('receives a frame whose mask key is all zero', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(frame({ opcode: op.text, payload: 'zero key', maskKey: Buffer.alloc(4) }));
    expect((await events.nth('message'))[0]).toBe('zero key');
  });

  it('receives several messages sent in one TCP write, in order', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(text('a'), binary('b'), text('c'));
    await events.nth('message', 2);
    expect(events.all('message').map(([data, , isBinary]) => [data, isBinary])).toEqual([
      ['a', false],
      [Buffer.from('b'), true],
      ['c', false],
    ]);
  });

  it('receives frames sent in the same TCP write as the upgrade request (the upgrade head)', async () => {
    const { port, events } = await h.server();
    const socket = await connectTcp(port, h.trackSocket);
    socket.write(Buffer.concat([Buffer.from(upgradeRequest()), text('early'), binary('bird')]));
    expect((await readResponse(socket)).status).toBe(101);
    await events.nth('message', 1);
    expect(events.all('message').map(([data]) => data)).toEqual(['early', Buffer.from('bird')]);
  });

  it('receives a message sent one byte at a time', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    await raw.sendInPieces(text('slow'), 1);
    expect((await events.nth('message'))[0]).toBe('slow');
  });
});

describe('RFC 6455 §5.6: server to client', () => {
  it.each<[string, () => SendData, boolean, string | Buffer]>([
    ['a string as text', () => 'text 🌍', false, 'text 🌍'],
    ['a Buffer as binary', () => Buffer.from([1, 2, 3]), true, Buffer.from([1, 2, 3])],
    ['an ArrayBuffer as binary', () => new Uint8Array([4, 5]).buffer, true, Buffer.from([4, 5])],
    ['a Uint8Array as binary', () => new Uint8Array([6, 7, 8]), true, Buffer.from([6, 7, 8])],
    [
      'only the bytes of a typed-array view',
      () => new Uint8Array([0, 1, 2, 3, 4, 5]).subarray(2, 4),
      true,
      Buffer.from([2, 3]),
    ],
    [
      'a Uint16Array as its bytes',
      () => new Uint16Array([0x0102]),
      true,
      Buffer.from(new Uint16Array([0x0102]).buffer),
    ],
    ['an empty string as empty text', () => '', false, ''],
  ])('sends %s', async (_, make, isBinary, expected) => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    (await connection()).connection.send(make());
    expect(await client.message()).toEqual({ data: expected, isBinary });
  });

  it('sends a string as binary with { binary: true }', async () => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    (await connection()).connection.send('abc', { binary: true });
    expect(await client.message()).toEqual({ data: Buffer.from('abc'), isBinary: true });
  });

  it('sends a Buffer as text with { binary: false }', async () => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    (await connection()).connection.send(Buffer.from('abc'), { binary: false });
    expect(await client.message()).toEqual({ data: 'abc', isBinary: false });
  });

  it('sends a 2 MiB message intact', async () => {
    const { url, connection } = await h.server();
    const client = await h.ws(url);
    const payload = Buffer.alloc(2 * 1024 * 1024, 7);
    (await connection()).connection.send(payload);
    expectSameBytes((await client.message()).data, payload);
  });

  it('calls the send callback once the message is written, without an error', async () => {
    const { url, connection } = await h.server();
    await h.ws(url);
    const { connection: conn } = await connection();
    const result = await new Promise((resolve) => conn.send('x', undefined, (error) => resolve(error ?? null)));
    expect(result).toBeNull();
  });

  it('never masks its frames (RFC 6455 §5.1)', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    (await connection()).connection.send('unmasked');
    expect(await raw.frameAt(1)).toMatchObject({ masked: false, opcode: op.text, fin: true, rsv: 0 });
  });

  // The echo takes the large-frame paths: a frame filled as it arrives across socket chunks,
  // and our header written into the bytes before the received payload (headroom.ts).
  it.each([8 * 1024, 64 * 1024, 1024 * 1024 + 3])(
    'echoes %i-byte binary messages sent back as they came, intact, three in a row',
    async (length) => {
      const { url, server } = await h.server();
      server.on('message', (data: string | Buffer, connection: Connection, isBinary: boolean) =>
        connection.send(data, { binary: isBinary }),
      );
      const client = await h.ws(url);
      const payloads = [0, 1, 2].map((seed) => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff)));
      for (const payload of payloads) client.ws.send(payload);
      await client.message(2);
      client.messages.forEach((message, i) => {
        expect(message.isBinary).toBe(true);
        expectSameBytes(message.data, payloads[i]);
      });
    },
  );

  it('echoes messages in order', async () => {
    const { url, server } = await h.server();
    server.on('message', (data: string | Buffer, connection: Connection, isBinary: boolean) =>
      connection.send(data, { binary: isBinary }),
    );
    const client = await h.ws(url);
    for (let i = 0; i < 20; i++) client.ws.send(i % 2 ? `t${i}` : Buffer.from(`b${i}`));
    await client.message(19);
    expect(client.messages.map((m) => (m.isBinary ? `bin:${m.data.toString()}` : m.data))).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? `t${i}` : `bin:b${i}`)),
    );
  });
});
