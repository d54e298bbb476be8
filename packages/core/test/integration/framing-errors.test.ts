/**
 * Every way a client's frames can break RFC 6455, each sent over a real socket after a valid
 * handshake, with the close code the server must answer. §7.1.7: _Fail the WebSocket
 * Connection_ sends a close frame with the code, then closes.
 */
import { useHarness } from '../helpers/harness';
import { binary, close, closePayload, continuation, frame, op, ping, text } from '../helpers/frames';

const h = useHarness();

const bytes = (...values: number[]): Buffer => Buffer.from(values);

/** [case, close code the server answers, bytes the client sends after the handshake]. */
type Case = [string, number, Buffer];

const framingCases: Case[] = [
  // §5.1, §5.3: a client must mask every frame.
  ['an unmasked text frame', 1002, frame({ opcode: op.text, payload: 'hi', mask: false })],
  ['an unmasked ping', 1002, frame({ opcode: op.ping, mask: false })],
  // §5.2: reserved opcodes.
  ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((opcode): Case => [
    `reserved opcode 0x${opcode.toString(16)}`,
    1002,
    frame({ opcode, payload: 'x' }),
  ]),
  // §5.2: RSV bits without a negotiated extension.
  ...[0b100, 0b010, 0b001, 0b111].map((rsv): Case => [
    `RSV bits ${rsv.toString(2).padStart(3, '0')}`,
    1002,
    frame({ opcode: op.text, rsv, payload: 'x' }),
  ]),
  // §5.5: control frames must not be fragmented and carry at most 125 bytes.
  ['a fragmented ping', 1002, frame({ opcode: op.ping, fin: false })],
  ['a fragmented pong', 1002, frame({ opcode: op.pong, fin: false })],
  ['a fragmented close', 1002, frame({ opcode: op.close, fin: false, payload: closePayload(1000) })],
  ['a ping of 126 bytes', 1002, ping(Buffer.alloc(126))],
  ['a pong of 126 bytes', 1002, frame({ opcode: op.pong, payload: Buffer.alloc(126) })],
  ['a close of 126 bytes', 1002, frame({ opcode: op.close, payload: closePayload(1000, 'x'.repeat(124)) })],
  // §5.4: continuity of fragmented messages.
  ['a continuation with no message started', 1002, continuation('x')],
  ['a non-final continuation with no message started', 1002, continuation('x', false)],
  ['a text frame inside a fragmented message', 1002, Buffer.concat([text('a', false), text('b')])],
  ['a binary frame inside a fragmented message', 1002, Buffer.concat([binary('a', false), binary('b')])],
  // §8.1: text must be valid UTF-8.
  ['a text message with byte 0xFF', 1007, text(bytes(0x61, 0xff))],
  ['an overlong encoding (C0 80)', 1007, text(bytes(0xc0, 0x80))],
  ['a UTF-16 surrogate (ED A0 80)', 1007, text(bytes(0xed, 0xa0, 0x80))],
  ['a code point past U+10FFFF (F4 90 80 80)', 1007, text(bytes(0xf4, 0x90, 0x80, 0x80))],
  ['a sequence cut short at the end of the message', 1007, text(bytes(0x61, 0xe2, 0x82))],
  [
    'a bad continuation byte in a later fragment',
    1007,
    Buffer.concat([text(bytes(0x61, 0xe2), false), continuation(bytes(0x28, 0xa1))]),
  ],
  [
    'a sequence cut short across the final fragment',
    1007,
    Buffer.concat([text(bytes(0xf0, 0x9f), false), continuation(bytes(0x98))]),
  ],
  // §5.5.1: a close payload is empty or a 2-byte code then UTF-8.
  ['a close frame with a 1-byte payload', 1002, frame({ opcode: op.close, payload: bytes(0x03) })],
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].map((code): Case => [
    `a close with code ${code}`,
    1002,
    close(code),
  ]),
  ['a close reason that is not UTF-8', 1007, close(1000, bytes(0xff, 0xfe))],
];

describe('RFC 6455 §5.2, §5.3, §5.4, §5.5, §8.1: failing the connection', () => {
  it.each(framingCases)('%s closes with %i', async (_, code, sent) => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(sent);
    expect(await raw.closeCode()).toBe(code);
  });

  it.each(framingCases)('%s, sent 3 bytes at a time, closes with %i', async (_, code, sent) => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    await raw.sendInPieces(sent, 3, 1);
    expect(await raw.closeCode()).toBe(code);
  });

  it('fails on invalid UTF-8 in the first fragment without waiting for the rest (§8.1)', async () => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(text(bytes(0x61, 0xff), false));
    expect(await raw.closeCode()).toBe(1007);
  });

  it('ignores everything the client sends after the frame that failed (§7.1.7)', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(frame({ opcode: 3 }), text('after'));
    expect(await raw.closeCode()).toBe(1002);
    expect(events.count('message')).toBe(0);
  });

  it('closes the TCP connection after failing it', async () => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(frame({ opcode: 3 }));
    await raw.closeCode();
    await expect(raw.closed).resolves.toBeUndefined();
  });
});

describe('RFC 6455 §5.4, §8.1: valid input near the edges', () => {
  it('accepts a 4-byte UTF-8 sequence split across two fragments', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    const grin = Buffer.from('😀');
    raw.send(text(grin.subarray(0, 2), false), continuation(grin.subarray(2)));
    expect((await events.nth('message'))[0]).toBe('😀');
  });

  it('accepts a 3-byte sequence split over three fragments', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    const euro = Buffer.from('€');
    raw.send(
      text(euro.subarray(0, 1), false),
      continuation(euro.subarray(1, 2), false),
      continuation(euro.subarray(2)),
    );
    expect((await events.nth('message'))[0]).toBe('€');
  });

  it('accepts invalid UTF-8 in a binary message', async () => {
    const { port, events } = await h.server();
    const raw = await h.raw(port);
    raw.send(binary(bytes(0xff, 0xc0, 0x80)));
    expect((await events.nth('message'))[0]).toEqual(bytes(0xff, 0xc0, 0x80));
  });

  it('accepts a ping and a close of exactly 125 bytes', async () => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(ping(Buffer.alloc(125, 1)), close(1000, 'r'.repeat(123)));
    expect((await raw.nextOfOpcode(op.pong)).payload).toEqual(Buffer.alloc(125, 1));
    expect(await raw.closeCode()).toBe(1000);
  });
});
