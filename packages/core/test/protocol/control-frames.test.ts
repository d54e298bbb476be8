/**
 * RFC 6455 §5.5: control frames. Pings are answered with pongs of the same payload, pongs are
 * reported, and control frames may sit between the fragments of a message.
 */
import { Opcode } from '@ws/core';
import { closeBody, hex, masked } from '../helpers/sans-io-frames';
import { SansIo, expectFrameSent, expectNothingSent, expectNoFailure } from '../helpers/sans-io-harness';

describe('RFC 6455 §5.5.2: ping', () => {
  it.each([
    ['empty', Buffer.alloc(0)],
    ['"Hello"', Buffer.from('Hello')],
    ['binary bytes', hex('00 ff 80 7f')],
    ['125 bytes, the most a control frame holds', Buffer.alloc(125, 0xab)],
  ])('is answered with a pong carrying the same payload (%s)', (_name, payload) => {
    const io = new SansIo().receive(masked(Opcode.Ping, payload));
    expectFrameSent(io, Opcode.Pong, payload);
    expectNothingSent(io);
  });

  it('writes the pong as exactly 8a 05 "Hello"', () => {
    const io = new SansIo().receive(masked(Opcode.Ping, 'Hello'));
    expect(io.sink.bytes()).toEqual(hex('8a 05 48 65 6c 6c 6f'));
  });

  it('reports the ping with its payload', () => {
    const io = new SansIo().receive(masked(Opcode.Ping, 'abc'));
    expect(io.events).toEqual([{ type: 'ping', payload: Buffer.from('abc') }]);
  });

  it('answers every ping of a burst, in order', () => {
    const io = new SansIo().receive(Buffer.concat(['1', '2', '3'].map((p) => masked(Opcode.Ping, p))));
    expect(io.sent().map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [Opcode.Pong, '1'],
      [Opcode.Pong, '2'],
      [Opcode.Pong, '3'],
    ]);
  });

  it('is still answered after our close frame, until the peer closes (RFC 6455 §5.5.2)', () => {
    // §5.5.2: "an endpoint MUST send a Pong frame in response, unless it already received a
    // Close frame". Having sent ours is no exception; §5.5.1 forbids data frames, not pongs.
    const io = new SansIo();
    io.protocol.close(1000);
    io.takeSent();
    io.receive(masked(Opcode.Ping, 'late'));
    expectFrameSent(io, Opcode.Pong, 'late');
  });

  it('is reported after our close frame', () => {
    const io = new SansIo();
    io.protocol.close(1000);
    io.receive(masked(Opcode.Ping, 'late'));
    expect(io.events).toContainEqual({ type: 'ping', payload: Buffer.from('late') });
  });
});

describe('RFC 6455 §5.5.3: pong', () => {
  it('is reported with its payload and not answered', () => {
    const io = new SansIo().receive(masked(Opcode.Pong, 'beat'));
    expect(io.events).toEqual([{ type: 'pong', payload: Buffer.from('beat') }]);
    expectNothingSent(io);
  });

  it('may come unsolicited and empty', () => {
    const io = new SansIo().receive(masked(Opcode.Pong));
    expect(io.events).toEqual([{ type: 'pong', payload: Buffer.alloc(0) }]);
  });

  it('is sent by Protocol.pong with the given payload', () => {
    const io = new SansIo();
    io.protocol.pong(Buffer.from('p'));
    expectFrameSent(io, Opcode.Pong, 'p');
  });
});

describe('RFC 6455 §5.4: control frames between fragments', () => {
  it('delivers ping, pong and then the whole message', () => {
    const io = new SansIo().receive(
      masked(Opcode.Text, 'Hel', { fin: false }),
      masked(Opcode.Ping, 'x'),
      masked(Opcode.Pong, 'y'),
      masked(Opcode.Continuation, 'lo'),
    );
    expect(io.events.map((e) => e.type)).toEqual(['ping', 'pong', 'message']);
    expect(io.messages()).toEqual(['Hello']);
    expectFrameSent(io, Opcode.Pong, 'x');
    expectNoFailure(io);
  });

  it('answers a ping between binary fragments in one chunk', () => {
    const io = new SansIo().receive(
      Buffer.concat([
        masked(Opcode.Binary, [1, 2], { fin: false }),
        masked(Opcode.Ping, 'p'),
        masked(Opcode.Continuation, [3], { fin: false }),
        masked(Opcode.Continuation, [4]),
      ]),
    );
    expect(io.messages()).toEqual([Buffer.from([1, 2, 3, 4])]);
    expectFrameSent(io, Opcode.Pong, 'p');
  });

  it('ends input with a close between fragments, the message never delivered', () => {
    const io = new SansIo().receive(
      masked(Opcode.Text, 'Hel', { fin: false }),
      masked(Opcode.Close, closeBody(1000)),
      masked(Opcode.Continuation, 'lo'),
    );
    expect(io.messages()).toEqual([]);
    expect(io.events).toContainEqual({ type: 'peerClose', code: 1000, reason: '' });
    expectNoFailure(io);
  });
});

describe('Protocol.ping and Protocol.pong: misuse', () => {
  it.each(['ping', 'pong'] as const)('%s throws RangeError over 125 bytes and writes nothing', (method) => {
    const io = new SansIo();
    expect(() => io.protocol[method](Buffer.alloc(126))).toThrow(RangeError);
    expect(io.sink.chunks).toEqual([]);
  });

  it.each(['ping', 'pong'] as const)('%s accepts exactly 125 bytes', (method) => {
    const io = new SansIo();
    io.protocol[method](Buffer.alloc(125, 1));
    expectFrameSent(io, method === 'ping' ? Opcode.Ping : Opcode.Pong, Buffer.alloc(125, 1));
  });
});
