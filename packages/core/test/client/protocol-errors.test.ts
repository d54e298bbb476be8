/**
 * What a raw server sends after a valid 101, and what the client does with it: protocol errors
 * fail the connection with the RFC's close code (sent masked to the server), and the end of a
 * clean close follows RFC 6455 §7.1.1 (the server closes TCP first; the client waits for it).
 */
import { Opcode } from '@ws/core';
import { useClients } from '../helpers/client';
import { delay, until } from '../helpers/events';
import { frame, frameHeader } from '../helpers/frames';
import { type RawPeer, useRawServers } from '../helpers/raw-ws-server';

const raw = useRawServers();
const c = useClients();

/** A raw server that accepts, then sends `bytes`; resolves with the open client and its peer. */
async function openWith(bytes: Buffer | null, options: Parameters<typeof c.connect>[1] = {}) {
  let peer: RawPeer | undefined;
  const server = await raw.start((p) => {
    peer = p;
    p.accept();
  });
  const client = await c.connect(server.url, options);
  if (bytes !== null) peer!.answer(bytes);
  return { ...client, peer: peer! };
}

describe('protocol errors from the server fail the connection with their close code', () => {
  it.each([
    ['a masked frame', frame({ opcode: Opcode.Text, payload: 'hi', mask: true }), 'WS_ERR_MASKED_FRAME', 1002],
    ['a reserved opcode', frame({ opcode: 3, mask: false }), 'WS_ERR_INVALID_OPCODE', 1002],
    [
      'an RSV bit not negotiated',
      frame({ opcode: Opcode.Text, rsv: 4, payload: 'x', mask: false }),
      'WS_ERR_UNEXPECTED_RSV',
      1002,
    ],
    [
      'bad UTF-8 in text',
      frame({ opcode: Opcode.Text, payload: Buffer.from([0x61, 0xc3, 0x28]), mask: false }),
      'WS_ERR_INVALID_UTF8',
      1007,
    ],
    [
      'a close reason that is not UTF-8',
      frame({ opcode: Opcode.Close, payload: Buffer.from([0x03, 0xe8, 0xff]), mask: false }),
      'WS_ERR_INVALID_UTF8',
      1007,
    ],
  ])('%s', async (_what, bytes, code, closeCode) => {
    const { events, peer } = await openWith(bytes);
    const [error] = await events.nth('error');
    expect([error.code, error.closeCode]).toEqual([code, closeCode]);
    const close = await peer.frame(Opcode.Close);
    expect(close.masked).toBe(true);
    expect(close.payload.readUInt16BE(0)).toBe(closeCode);
    // The client ends TCP after failing; the server never sent its close frame: 1006, not clean.
    peer.socket.end();
    expect(await events.nth('close')).toEqual([1006, '', false]);
    expect(events.count('message')).toBe(0);
  });

  it('a message over maxPayload: 1009, from the frame header alone', async () => {
    // A header claiming 1 MiB, with no payload behind it: refused before any of it is held.
    const { events, peer } = await openWith(frameHeader(Opcode.Binary, 1024 * 1024, { mask: false }), {
      maxPayload: 1000,
    });
    const [error] = await events.nth('error');
    expect([error.code, error.closeCode]).toEqual(['WS_ERR_MESSAGE_TOO_BIG', 1009]);
    expect((await peer.frame(Opcode.Close)).payload.readUInt16BE(0)).toBe(1009);
  });

  it('a message over maxPayload across fragments: 1009', async () => {
    const bytes = Buffer.concat([
      frame({ opcode: Opcode.Text, payload: 'a'.repeat(600), fin: false, mask: false }),
      frame({ opcode: Opcode.Continuation, payload: 'a'.repeat(600), mask: false }),
    ]);
    const { events, peer } = await openWith(bytes, { maxPayload: 1000 });
    expect((await events.nth('error'))[0].closeCode).toBe(1009);
    expect((await peer.frame(Opcode.Close)).payload.readUInt16BE(0)).toBe(1009);
  });
});

describe('RFC 6455 §7.1.1: the server closes TCP first', () => {
  it('after a close the client started, it waits for the server’s FIN', async () => {
    const { connection, events, peer } = await openWith(null, { closeTimeout: 5000 });
    connection.close(1000, 'bye');
    const close = await peer.frame(Opcode.Close);
    expect(close.masked).toBe(true);
    peer.answer(frame({ opcode: Opcode.Close, payload: close.payload, mask: false }));
    await delay(200);
    // Both close frames are exchanged, yet the client has not closed TCP: that is the server's to do.
    expect(peer.ended).toBe(false);
    expect(events.count('close')).toBe(0);
    peer.socket.end();
    expect(await events.nth('close')).toEqual([1000, 'bye', true]);
  });

  it('after a close the server started, the client answers and waits for the FIN', async () => {
    const { events, peer } = await openWith(null);
    peer.answer(frame({ opcode: Opcode.Close, payload: Buffer.from([0x0f, 0xa0, 0x68]), mask: false })); // 4000 "h"
    const echo = await peer.frame(Opcode.Close);
    expect(echo.payload.readUInt16BE(0)).toBe(4000);
    await delay(200);
    expect(peer.ended).toBe(false);
    peer.socket.end();
    expect(await events.nth('close')).toEqual([4000, 'h', true]);
  });

  it('a server that never closes TCP is cut off after closeTimeout', async () => {
    const { connection, events, peer } = await openWith(null, { closeTimeout: 300 });
    connection.close();
    const close = await peer.frame(Opcode.Close);
    peer.answer(frame({ opcode: Opcode.Close, payload: close.payload, mask: false }));
    const [code, , wasClean] = await events.nth('close', 0, 3000);
    expect([code, wasClean]).toEqual([1000, true]);
    await until(() => peer.ended, 'the client to drop the socket');
  });

  it('a server that never answers the close frame is cut off after closeTimeout', async () => {
    const { connection, events } = await openWith(null, { closeTimeout: 300 });
    connection.close(4000);
    expect(await events.nth('close', 0, 3000)).toEqual([1006, '', false]);
  });
});

describe('frames from the server', () => {
  it('reads unmasked frames of every length form and fragmented messages', async () => {
    const bytes = Buffer.concat([
      frame({ opcode: Opcode.Text, payload: 'x'.repeat(125), mask: false }),
      frame({ opcode: Opcode.Binary, payload: Buffer.alloc(300, 7), mask: false }),
      frame({ opcode: Opcode.Binary, payload: Buffer.alloc(70_000, 8), mask: false }),
      frame({ opcode: Opcode.Text, payload: 'frag', fin: false, mask: false }),
      frame({ opcode: Opcode.Ping, payload: 'p', mask: false }),
      frame({ opcode: Opcode.Continuation, payload: 'mented', mask: false }),
    ]);
    const { events, peer } = await openWith(bytes);
    expect((await events.nth('message', 0))[0]).toBe('x'.repeat(125));
    expect((await events.nth('message', 1))[0]).toEqual(Buffer.alloc(300, 7));
    expect(((await events.nth('message', 2))[0] as Buffer).equals(Buffer.alloc(70_000, 8))).toBe(true);
    expect((await events.nth('message', 3))[0]).toBe('fragmented');
    const pong = await peer.frame(Opcode.Pong);
    expect([pong.masked, String(pong.payload)]).toEqual([true, 'p']);
  });

  it('masks every frame it sends', async () => {
    const { connection, peer } = await openWith(null);
    for (let i = 0; i < 20; i++) connection.send(`message ${i}`);
    await until(() => peer.frames.length >= 20, '20 frames');
    expect(peer.frames.every((f) => f.masked)).toBe(true);
    expect(peer.frames.map((f) => String(f.payload))).toEqual(Array.from({ length: 20 }, (_, i) => `message ${i}`));
  });
});
