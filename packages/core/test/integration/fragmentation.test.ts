/**
 * RFC 6455 §5.4: fragmentation, inbound (from raw frames and from the ws client) and outbound
 * (`maxFrameSize`).
 */
import { useHarness } from '../helpers/harness';
import { binary, continuation, op, ping, pong, text } from '../helpers/frames';

const h = useHarness();

describe('RFC 6455 §5.4: fragmented messages in', () => {
  it('assembles a text message sent as three frames', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(text('frag', false), continuation('men', false), continuation('ted'));
    expect((await events.nth('message')).slice(0, 1)).toEqual(['fragmented']);
  });

  it('assembles a binary message whose frames arrive in separate TCP reads', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    for (const piece of [binary('ab', false), continuation('', false), continuation('cd')]) {
      await raw.sendInPieces(piece, piece.length);
    }
    const [data, , isBinary] = await events.nth('message');
    expect([data, isBinary]).toEqual([Buffer.from('abcd'), true]);
  });

  it('assembles fragments sent by the ws client with { fin: false }', async () => {
    const { url, events } = await h.server();
    const client = await h.ws(url);
    client.ws.send('one ', { fin: false });
    client.ws.send('two ', { fin: false });
    client.ws.send('three', { fin: true });
    expect((await events.nth('message')).slice(0, 1)).toEqual(['one two three']);
  });

  it('answers a ping sent between fragments and still assembles the message', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(text('in ', false), ping('mid'), continuation('between'));
    const pongFrame = await raw.nextOfOpcode(op.pong);
    expect(pongFrame.payload.toString()).toBe('mid');
    expect((await events.nth('message'))[0]).toBe('in between');
  });

  it('accepts a pong between fragments', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(binary('a', false), pong('unsolicited'), continuation('b'));
    const [data] = await events.nth('message');
    expect([data, events.count('pong')]).toEqual([Buffer.from('ab'), 1]);
  });

  it('delivers nothing before the final fragment', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(text('partial', false), ping());
    await raw.nextOfOpcode(op.pong);
    expect(events.count('message')).toBe(0);
  });
});

describe('RFC 6455 §5.4: fragmented messages out (maxFrameSize)', () => {
  it.each<[string, string | Buffer, number]>([
    ['text', 'abcdefghijklmnopqrstuvwxy', op.text],
    ['binary', Buffer.alloc(25, 3), op.binary],
  ])('splits a 25-byte %s message into frames of at most 10 bytes', async (_, message, opcode) => {
    const { port, connection } = await h.server({ maxFrameSize: 10 });
    const raw = await h.raw(port);
    (await connection()).connection.send(message);
    await raw.frameAt(3);
    const frames = raw.dataFrames();
    expect(frames.map((f) => f.opcode)).toEqual([opcode, ...frames.slice(1).map(() => op.continuation)]);
    expect(frames.map((f) => f.fin)).toEqual([...frames.slice(1).map(() => false), true]);
    expect(frames.every((f) => f.payload.length <= 10)).toBe(true);
    expect(Buffer.concat(frames.map((f) => f.payload))).toEqual(Buffer.from(message));
  });

  it('sends a message of exactly maxFrameSize as one frame', async () => {
    const { port, connection } = await h.server({ maxFrameSize: 10 });
    const raw = await h.raw(port);
    const { connection: conn } = await connection();
    conn.send('0123456789');
    conn.send('next');
    await raw.frameAt(2);
    expect(raw.dataFrames().map((f) => [f.opcode, f.fin, f.payload.toString()])).toEqual([
      [op.text, true, '0123456789'],
      [op.text, true, 'next'],
    ]);
  });

  it('delivers a fragmented message whole to the ws client', async () => {
    const { url, connection } = await h.server({ maxFrameSize: 7 });
    const client = await h.ws(url);
    const message = 'é'.repeat(50); // 2-byte characters cut across frame boundaries
    (await connection()).connection.send(message);
    expect(await client.message()).toEqual({ data: message, isBinary: false });
  });
});
