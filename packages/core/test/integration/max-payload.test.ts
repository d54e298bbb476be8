/**
 * RFC 6455 §10.4: limits on frame and message size. `maxPayload` is checked from each frame
 * header, before the payload is buffered, and across the fragments of a message.
 */
import { useHarness } from '../helpers/harness';
import { binary, continuation, frameHeader, op, text } from '../helpers/frames';

const h = useHarness();

describe('RFC 6455 §10.4: maxPayload', () => {
  it('accepts a message of exactly maxPayload bytes', async () => {
    const { port, events } = await h.server({ maxPayload: 10 });
    const raw = await h.raw(port);
    raw.send(text('0123456789'));
    expect((await events.nth('message'))[0]).toBe('0123456789');
  });

  it('closes with 1009 on a single frame one byte over', async () => {
    const { port } = await h.server({ maxPayload: 10 });
    const raw = await h.raw(port);
    raw.send(binary(Buffer.alloc(11)));
    expect(await raw.closeCode()).toBe(1009);
  });

  it('closes with 1009 when fragments add up past the limit', async () => {
    const { port } = await h.server({ maxPayload: 10 });
    const raw = await h.raw(port);
    raw.send(text('012345', false), continuation('6789', false), continuation('X'));
    expect(await raw.closeCode()).toBe(1009);
  });

  it('closes with 1009 from the frame header alone, before any payload is sent', async () => {
    const { port } = await h.server({ maxPayload: 1000 });
    const raw = await h.raw(port);
    raw.send(frameHeader(op.binary, 1001), Buffer.from([1, 2, 3, 4]));
    expect(await raw.closeCode()).toBe(1009);
  });

  it('closes with 1009 on a header claiming 2^63-1 bytes, with no payload sent', async () => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(frameHeader(op.binary, 2n ** 63n - 1n), Buffer.from([1, 2, 3, 4]));
    expect(await raw.closeCode(1000)).toBe(1009);
  });

  it('closes with 1002 on a 64-bit length with the most significant bit set (§5.2)', async () => {
    const { port } = await h.server();
    const raw = await h.raw(port);
    raw.send(frameHeader(op.binary, 2n ** 63n), Buffer.from([1, 2, 3, 4]));
    expect(await raw.closeCode(1000)).toBe(1002);
  });

  it('closes the ws client with 1009 when it sends too much', async () => {
    const { url } = await h.server({ maxPayload: 1024 });
    const client = await h.ws(url);
    client.ws.send(Buffer.alloc(2048));
    expect((await client.closedWithin()).code).toBe(1009);
  });

  it('does not count control frames between fragments toward the message', async () => {
    const { port, events } = await h.server({ maxPayload: 10 });
    const raw = await h.raw(port);
    raw.send(
      text('01234', false),
      Buffer.concat([frameHeader(op.ping, 100), Buffer.from([0, 0, 0, 0]), Buffer.alloc(100)]),
      continuation('56789'),
    );
    expect((await events.nth('message'))[0]).toBe('0123456789');
  });
});
