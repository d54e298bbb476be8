/**
 * The `textMessages` server option (text handed to listeners as a string or as its UTF-8
 * bytes) and large text both ways, against the `ws` client and a raw socket.
 */
import { Server, WebSocketError } from '@ws/core';
import type { Connection } from '@ws/core';
import { useHarness } from '../helpers/harness';
import { frame, op, text } from '../helpers/frames';

const h = useHarness();

describe("textMessages: 'buffer'", () => {
  it('delivers text as its UTF-8 bytes in a Buffer, with isBinary false, on both emitters', async () => {
    const { url, connection, events } = await h.server({ textMessages: 'buffer' });
    const client = await h.ws(url);
    client.ws.send('h\u00e9llo \u{1F30D}');
    const [data, , isBinary] = await events.nth('message');
    expect(Buffer.isBuffer(data)).toBe(true);
    expect([data, isBinary]).toEqual([Buffer.from('h\u00e9llo \u{1F30D}'), false]);
    const { events: connectionEvents } = await connection();
    expect(await connectionEvents.nth('message')).toEqual([Buffer.from('h\u00e9llo \u{1F30D}'), false]);
  });

  it('still fails invalid UTF-8 with 1007', async () => {
    const { port, connection } = await h.server({ textMessages: 'buffer' });
    const raw = await h.raw(port);
    const { events } = await connection();
    raw.send(text(Buffer.from([0x61, 0xff])));
    const [error] = await events.nth('error');
    expect(error).toBeInstanceOf(WebSocketError);
    expect(error.closeCode).toBe(1007);
    expect(events.all('message')).toEqual([]);
  });

  it('delivers a fragmented text message whole, a code point cut between fragments', async () => {
    const { port, events } = await h.server({ textMessages: 'buffer' });
    const raw = await h.raw(port);
    const bytes = Buffer.from('a\u20acb'); // the euro sign's 3 bytes are cut 1 + 2
    raw.send(
      frame({ opcode: op.text, fin: false, payload: bytes.subarray(0, 2) }),
      frame({ opcode: op.continuation, payload: bytes.subarray(2) }),
    );
    expect((await events.nth('message')).filter((_, i) => i !== 1)).toEqual([bytes, false]);
  });

  it('delivers binary as before', async () => {
    const { url, events } = await h.server({ textMessages: 'buffer' });
    const client = await h.ws(url);
    client.ws.send(Buffer.from([1, 2, 3]));
    const [data, , isBinary] = await events.nth('message');
    expect([data, isBinary]).toEqual([Buffer.from([1, 2, 3]), true]);
  });

  it.each([
    ['short', 'echo me'],
    ['1 MiB ASCII', 'x'.repeat(1 << 20)],
    ['2 MiB of 2-byte text, two frames out', '\u00e9'.repeat(1 << 20)],
  ])('echoes %s text sent back with { binary: false } as text', async (_name, message) => {
    const { url, server } = await h.server({ textMessages: 'buffer' });
    server.on('message', (data: string | Buffer, c: Connection, isBinary: boolean) =>
      c.send(data, { binary: isBinary }),
    );
    const client = await h.ws(url);
    client.ws.send(message);
    const echo = await client.message(0);
    expect(echo.isBinary).toBe(false);
    expect(echo.data === message).toBe(true);
  });

  it('refuses an unknown value', () => {
    expect(() => new Server({ noServer: true, textMessages: 'bytes' as 'buffer' })).toThrow(
      "option textMessages must be 'string' or 'buffer', got \"bytes\"",
    );
  });
});

/** A `ws` client sends `message`; the server gets it as that string and echoes it back intact. */
async function deliversAndEchoes(message: string): Promise<void> {
  const { url, server, events } = await h.server();
  server.on('message', (data: string | Buffer, c: Connection) => c.send(data));
  const client = await h.ws(url);
  client.ws.send(message);
  const [data] = await events.nth('message');
  expect(data === message).toBe(true);
  const echo = await client.message(0);
  expect([echo.isBinary, echo.data === message]).toEqual([false, true]);
}

describe('large text as strings (the default)', () => {
  it.each([
    ['64 KiB ASCII', 'a'.repeat(65536)],
    ['1 MiB ASCII', 'b'.repeat(1 << 20)],
    ['1 MiB ASCII with one 4-byte code point at the end', 'c'.repeat(1 << 20) + '\u{1F600}'],
    ['3 MiB of 3-byte text, several frames out', '\u20ac'.repeat(1 << 20)],
  ])('delivers and echoes %s intact', (_name, message) => deliversAndEchoes(message));
});

describe('text frames under 8 KiB, unmasked where they lie in the socket chunk', () => {
  // Below 1 KiB in JS, from 1 KiB natively (bufferutil) then isAscii: both sides of the cut-over.
  it.each([
    ['1023 B ASCII', 'd'.repeat(1023)],
    ['1 KiB ASCII', 'e'.repeat(1024)],
    ['4 KiB ASCII with one 2-byte character in the middle', 'f'.repeat(2047) + '\u00e9' + 'f'.repeat(2047)],
    ['8191 B ASCII', 'g'.repeat(8191)],
  ])('delivers and echoes %s intact', (_name, message) => deliversAndEchoes(message));

  it('fails a 2 KiB frame that is not UTF-8 with 1007, and delivers nothing of it', async () => {
    const { port, connection } = await h.server();
    const raw = await h.raw(port);
    const { events } = await connection();
    const bytes = Buffer.alloc(2048, 0x61);
    bytes[1500] = 0xff;
    raw.send(text(bytes), text('after'));
    const [error] = await events.nth('error');
    expect(error).toBeInstanceOf(WebSocketError);
    expect(error.closeCode).toBe(1007);
    expect(events.all('message')).toEqual([]);
  });
});
