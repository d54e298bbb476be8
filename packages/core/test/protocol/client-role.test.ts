/**
 * The protocol in the client role (RFC 6455 §5.1, §5.3): a client masks every frame with a
 * fresh key and refuses masked frames from the server with 1002. Client and server `Protocol`
 * objects talk to each other in memory, so each rule is checked from both ends.
 */
import { CloseCode, Opcode } from '@ws/core';
import { frame } from '../helpers/frames';
import { SansIo } from '../helpers/sans-io-harness';
import { prng, randomBytes } from '../helpers/sans-io-frames';

/** A client and a server protocol; `flush()` carries what each wrote to the other until both are quiet. */
class Pair {
  readonly client = new SansIo({ role: 'client' });
  readonly server = new SansIo({ role: 'server' });
  private clientSent = 0;
  private serverSent = 0;

  flush(): this {
    for (let round = 0; round < 10; round++) {
      const fromClient = this.client.sink.chunks.slice(this.clientSent);
      const fromServer = this.server.sink.chunks.slice(this.serverSent);
      this.clientSent += fromClient.length;
      this.serverSent += fromServer.length;
      if (fromClient.length === 0 && fromServer.length === 0) return this;
      for (const chunk of fromClient) this.server.receive(chunk);
      for (const chunk of fromServer) this.client.receive(chunk);
    }
    throw new Error('the pair kept talking past 10 rounds');
  }
}

describe('client role: every frame is masked (RFC 6455 §5.3)', () => {
  it('masks text, binary, ping, pong and close frames', () => {
    const io = new SansIo({ role: 'client' });
    io.protocol.sendText('hi', true);
    io.protocol.sendText('x'.repeat(10_000), true); // past the short-text path
    io.protocol.send(Buffer.from([1, 2, 3]), true, true);
    io.protocol.ping(Buffer.from('p'));
    io.protocol.pong(Buffer.from('q'));
    io.protocol.close(1000, 'bye');
    const frames = io.sent();
    expect(frames.map((f) => [f.opcode, f.masked])).toEqual([
      [Opcode.Text, true],
      [Opcode.Text, true],
      [Opcode.Binary, true],
      [Opcode.Ping, true],
      [Opcode.Pong, true],
      [Opcode.Close, true],
    ]);
    expect(frames[0].payload.toString()).toBe('hi');
    expect(frames[1].payload.toString()).toBe('x'.repeat(10_000));
    expect([...frames[2].payload]).toEqual([1, 2, 3]);
  });

  it('masks each frame of a fragmented message, and leaves the caller’s buffer as it was', () => {
    const io = new SansIo({ role: 'client', maxFrameSize: 100 });
    const payload = randomBytes(250, prng(7));
    const copy = Buffer.from(payload);
    io.protocol.send(payload, true, true);
    const frames = io.sent();
    expect(frames.map((f) => [f.opcode, f.fin, f.masked, f.payload.length])).toEqual([
      [Opcode.Binary, false, true, 100],
      [Opcode.Continuation, false, true, 100],
      [Opcode.Continuation, true, true, 50],
    ]);
    expect(Buffer.concat(frames.map((f) => f.payload)).equals(copy)).toBe(true);
    expect(payload.equals(copy)).toBe(true);
  });

  it.each([0, 1, 3, 127, 128, 1023, 1024, 5000, 70_000])(
    'masks a %i-byte payload as the RFC’s byte loop does',
    (size) => {
      const io = new SansIo({ role: 'client', maxFrameSize: 1 << 20 });
      const payload = randomBytes(size, prng(size + 1));
      io.protocol.send(payload, true, true);
      const wire = io.sink.bytes();
      const headerLength = size < 126 ? 2 : size < 0x10000 ? 4 : 10;
      const key = wire.subarray(headerLength, headerLength + 4);
      const masked = wire.subarray(headerLength + 4);
      expect(masked.length).toBe(size);
      let same = true;
      for (let i = 0; i < size; i++) if ((masked[i] ^ key[i & 3]) !== payload[i]) same = false;
      expect(same).toBe(true);
    },
  );

  it('answers a ping with a masked pong', () => {
    const io = new SansIo({ role: 'client' });
    io.receive(frame({ opcode: Opcode.Ping, payload: 'abc', mask: false }));
    const [pong] = io.sent();
    expect([pong.opcode, pong.masked, pong.payload.toString()]).toEqual([Opcode.Pong, true, 'abc']);
  });

  it('uses a different key for each frame', () => {
    const io = new SansIo({ role: 'client' });
    // Past one refill of the pool (2048 keys of 4 bytes each in 8 KiB).
    for (let i = 0; i < 3000; i++) io.protocol.sendText('k', true);
    const keys = new Set<string>();
    for (const chunk of io.sink.chunks) keys.add(chunk.subarray(2, 6).toString('hex'));
    // 3000 random 32-bit keys: a repeat is possible (p ≈ 0.1%) but two are vanishingly rare.
    expect(keys.size).toBeGreaterThanOrEqual(2998);
  });

  it('never takes pre-built frames', () => {
    const io = new SansIo({ role: 'client' });
    expect(io.protocol.acceptsRawFrames).toBe(false);
    expect(new SansIo().protocol.acceptsRawFrames).toBe(true);
    expect(() => io.protocol.sendFrames([Buffer.from([0x81, 0])])).toThrow(TypeError);
  });
});

describe('client role: frames from the server (RFC 6455 §5.1)', () => {
  it('reads unmasked frames', () => {
    const io = new SansIo({ role: 'client' });
    io.receive(frame({ opcode: Opcode.Text, payload: 'hello', mask: false }));
    io.receive(frame({ opcode: Opcode.Binary, payload: randomBytes(2000, prng(1)), mask: false }));
    expect(io.messages()[0]).toBe('hello');
    expect((io.messages()[1] as Buffer).equals(randomBytes(2000, prng(1)))).toBe(true);
  });

  it('fails a masked server frame with 1002', () => {
    const io = new SansIo({ role: 'client' });
    io.receive(frame({ opcode: Opcode.Text, payload: 'hi', mask: true }));
    expect(io.failures().map((e) => [e.code, e.closeCode])).toEqual([['WS_ERR_MASKED_FRAME', CloseCode.ProtocolError]]);
    const [close] = io.sent();
    expect([close.opcode, close.masked, close.payload.readUInt16BE(0)]).toEqual([Opcode.Close, true, 1002]);
    expect(io.messages()).toEqual([]);
  });

  it('still fails an unmasked frame in the server role', () => {
    const io = new SansIo();
    io.receive(frame({ opcode: Opcode.Text, payload: 'hi', mask: false }));
    expect(io.failures().map((e) => e.code)).toEqual(['WS_ERR_UNMASKED_FRAME']);
  });

  it('checks text from the server as it arrives, one byte at a time', () => {
    const io = new SansIo({ role: 'client' });
    const bytes = frame({ opcode: Opcode.Text, payload: Buffer.from([0x61, 0xff, 0x62, 0x63]), mask: false });
    for (const byte of bytes.subarray(0, 4)) io.receive([byte]);
    expect(io.failures().map((e) => e.closeCode)).toEqual([CloseCode.InvalidPayload]);
  });
});

describe('client and server Protocol talking to each other', () => {
  it('carries text, binary and fragmented messages both ways', () => {
    const pair = new Pair();
    const big = randomBytes(70_000, prng(3));
    pair.client.protocol.sendText('from client', true);
    pair.client.protocol.send(big, true, true);
    pair.server.protocol.sendText('from server', true);
    pair.server.protocol.send(big, true, true);
    pair.flush();
    expect(pair.server.messages()[0]).toBe('from client');
    expect((pair.server.messages()[1] as Buffer).equals(big)).toBe(true);
    expect(pair.client.messages()[0]).toBe('from server');
    expect((pair.client.messages()[1] as Buffer).equals(big)).toBe(true);
    expect(pair.client.failures()).toEqual([]);
    expect(pair.server.failures()).toEqual([]);
  });

  it('splits at maxFrameSize on the client and reassembles on the server', () => {
    const pair = new Pair();
    const client = new SansIo({ role: 'client', maxFrameSize: 7 });
    client.protocol.sendText('a message cut into many frames', true);
    for (const chunk of client.sink.chunks) pair.server.receive(chunk);
    expect(pair.server.messages()).toEqual(['a message cut into many frames']);
  });

  it('exchanges ping and pong', () => {
    const pair = new Pair();
    pair.client.protocol.ping(Buffer.from('c'));
    pair.server.protocol.ping(Buffer.from('s'));
    pair.flush();
    const kinds = (io: SansIo): unknown[] =>
      io.events
        .filter((e) => e.type === 'ping' || e.type === 'pong')
        .map((e) => [e.type, String(e.type === 'ping' || e.type === 'pong' ? e.payload : '')]);
    expect(kinds(pair.server)).toEqual([
      ['ping', 'c'],
      ['pong', 's'],
    ]);
    expect(kinds(pair.client)).toEqual([
      ['ping', 's'],
      ['pong', 'c'],
    ]);
  });

  it('completes a close handshake started by the client', () => {
    const pair = new Pair();
    pair.client.protocol.close(4000, 'done');
    pair.flush();
    expect(pair.server.events).toContainEqual({ type: 'peerClose', code: 4000, reason: 'done' });
    expect(pair.client.events).toContainEqual({ type: 'peerClose', code: 4000, reason: 'done' });
    expect(pair.client.protocol.hasWrittenClose && pair.client.protocol.hasReceivedClose).toBe(true);
    expect(pair.server.protocol.hasWrittenClose && pair.server.protocol.hasReceivedClose).toBe(true);
  });

  it('completes a close handshake started by the server', () => {
    const pair = new Pair();
    pair.server.protocol.close(1001, 'going away');
    pair.flush();
    expect(pair.client.events).toContainEqual({ type: 'peerClose', code: 1001, reason: 'going away' });
    expect(pair.server.events).toContainEqual({ type: 'peerClose', code: 1001, reason: 'going away' });
  });
});
