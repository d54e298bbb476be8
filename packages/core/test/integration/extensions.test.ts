/**
 * RFC 6455 §9 and §5.2 (RSV bits): extensions negotiate on the handshake and transform frames.
 * Exercised with `x-xor` (test/helpers/xor-extension.ts), which claims RSV2.
 */
import { useHarness } from '../helpers/harness';
import { upgradeRequest } from '../helpers/raw-http';
import { continuation, frame, op, text } from '../helpers/frames';
import { DEFAULT_XOR_KEY, XOR_RSV, xorBytes, xorExtension } from '../helpers/xor-extension';
import { until } from '../helpers/events';

const h = useHarness();

const withOffer = (offer: string) => ({ headers: { 'Sec-WebSocket-Extensions': offer } });
const squash = (value: string | undefined): string | undefined => value?.replace(/\s+/g, '');
const KEY = 7;
const xored = (data: string | Buffer): Buffer => xorBytes(Buffer.from(data), KEY);

describe('RFC 6455 §9.1: negotiation', () => {
  it('names the accepted offer and its parameters in the response', async () => {
    const { port } = await h.server({ extensions: [xorExtension()] });
    const response = await h.request(port, upgradeRequest(withOffer('x-xor; key=7')));
    expect(response.status).toBe(101);
    expect(squash(response.headers['sec-websocket-extensions'])).toBe('x-xor;key=7');
  });

  it('exposes the response as connection.extensions', async () => {
    const { port, connection } = await h.server({ extensions: [xorExtension()] });
    await h.raw(port, withOffer('x-xor; key=7'));
    expect(squash((await connection()).connection.extensions)).toBe('x-xor;key=7');
  });

  it('hands the extension every offer bearing its name, parsed, in the client order', async () => {
    const extension = xorExtension();
    const { port } = await h.server({ extensions: [extension] });
    await h.request(port, upgradeRequest(withOffer('x-xor; key=300; flag, other; a=1, x-xor;key="9"')));
    expect(extension.stats.offers).toEqual([
      [
        {
          name: 'x-xor',
          params: [
            { name: 'key', value: '300' },
            { name: 'flag', value: true },
          ],
        },
        { name: 'x-xor', params: [{ name: 'key', value: '9' }] },
      ],
    ]);
  });

  it('answers the offer the extension picked (the first acceptable one)', async () => {
    const { port } = await h.server({ extensions: [xorExtension()] });
    const response = await h.request(port, upgradeRequest(withOffer('x-xor; key=300, x-xor; key=9')));
    expect(squash(response.headers['sec-websocket-extensions'])).toBe('x-xor;key=9');
  });

  it.each([
    ['the extension declines', 'x-xor; decline'],
    ['only unknown extensions are offered', 'x-other; a=1'],
  ])('sends no Sec-WebSocket-Extensions when %s', async (_, offered) => {
    const { port } = await h.server({ extensions: [xorExtension()] });
    const response = await h.request(port, upgradeRequest(withOffer(offered)));
    expect(response.status).toBe(101);
    expect(response.headers).not.toHaveProperty('sec-websocket-extensions');
  });

  it("sets connection.extensions to '' when nothing was negotiated", async () => {
    const { port, connection } = await h.server({ extensions: [xorExtension()] });
    await h.raw(port, withOffer('x-xor; decline'));
    expect((await connection()).connection.extensions).toBe('');
  });
});

describe('RFC 6455 §5.2: RSV bits and negotiated extensions', () => {
  it('accepts RSV2 on a message once x-xor is negotiated, and decodes it', async () => {
    const { port, events } = await h.server({ extensions: [xorExtension()] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    raw.send(frame({ opcode: op.text, rsv: XOR_RSV, payload: xored('hello') }));
    const [data, , isBinary] = await events.nth('message');
    expect([data, isBinary]).toEqual(['hello', false]);
  });

  it('passes a message without RSV2 through undecoded', async () => {
    const { port, events } = await h.server({ extensions: [xorExtension()] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    raw.send(text('plain'));
    expect((await events.nth('message'))[0]).toBe('plain');
  });

  it('decodes a fragmented message whose first frame has RSV2', async () => {
    const { port, events } = await h.server({ extensions: [xorExtension()] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    raw.send(
      frame({ opcode: op.binary, rsv: XOR_RSV, fin: false, payload: xored('abc') }),
      continuation(xored('def'), false),
      continuation(xored('ghi')),
    );
    expect((await events.nth('message'))[0]).toEqual(Buffer.from('abcdefghi'));
  });

  it.each<[string, Buffer[]]>([
    ['RSV1 (not claimed by x-xor)', [frame({ opcode: op.text, rsv: 0b100, payload: 'a' })]],
    ['RSV3 (not claimed by x-xor)', [frame({ opcode: op.text, rsv: 0b001, payload: 'a' })]],
    [
      'RSV2 on a continuation frame',
      [text('a', false), frame({ opcode: op.continuation, rsv: XOR_RSV, payload: 'b' })],
    ],
    ['RSV2 on a ping', [frame({ opcode: op.ping, rsv: XOR_RSV, payload: 'p' })]],
  ])('closes with 1002 on %s', async (_, frames) => {
    const { port } = await h.server({ extensions: [xorExtension()] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    raw.send(...frames);
    expect(await raw.closeCode()).toBe(1002);
  });

  it('closes with 1002 on RSV2 when x-xor is configured but was not negotiated', async () => {
    const { port } = await h.server({ extensions: [xorExtension()] });
    const raw = await h.raw(port);
    raw.send(frame({ opcode: op.text, rsv: XOR_RSV, payload: 'a' }));
    expect(await raw.closeCode()).toBe(1002);
  });
});

describe('RFC 6455 §9: codecs transform both ways', () => {
  it('encodes outgoing messages and sets RSV2 on their first frame', async () => {
    const { port, connection } = await h.server({ extensions: [xorExtension()] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    (await connection()).connection.send('hello');
    const received = await raw.frameAt(1);
    expect(received).toMatchObject({ opcode: op.text, rsv: XOR_RSV, fin: true });
    expect(received.payload).toEqual(xored('hello'));
  });

  it('uses the default key when the offer had none', async () => {
    const { port, connection } = await h.server({ extensions: [xorExtension()] });
    const raw = await h.raw(port, withOffer('x-xor'));
    (await connection()).connection.send(Buffer.from([1, 2, 3]));
    expect((await raw.frameAt(1)).payload).toEqual(xorBytes(Buffer.from([1, 2, 3]), DEFAULT_XOR_KEY));
  });

  it('leaves a message untransformed with send(…, { compress: false })', async () => {
    const { port, connection } = await h.server({ extensions: [xorExtension()] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    (await connection()).connection.send('plain', { compress: false });
    const received = await raw.frameAt(1);
    expect(received.rsv).toBe(0);
    expect(received.payload.toString()).toBe('plain');
  });

  it('sets RSV2 on the first frame only when an encoded message is fragmented', async () => {
    const { port, connection } = await h.server({ extensions: [xorExtension()], maxFrameSize: 4 });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    (await connection()).connection.send('abcdefghij');
    await raw.frameAt(3);
    const frames = raw.dataFrames();
    expect(frames.map((f) => f.rsv)).toEqual([XOR_RSV, ...frames.slice(1).map(() => 0)]);
    expect(Buffer.concat(frames.map((f) => f.payload))).toEqual(xored('abcdefghij'));
  });

  it('keeps inbound message order with an asynchronous codec', async () => {
    const { port, events } = await h.server({ extensions: [xorExtension({ async: true })] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    const sent = Array.from({ length: 12 }, (_, i) => `message ${i}`);
    raw.send(...sent.map((m) => frame({ opcode: op.text, rsv: XOR_RSV, payload: xored(m) })));
    await events.nth('message', sent.length - 1);
    expect(events.all('message').map(([data]) => data)).toEqual(sent);
  });

  it('keeps outbound message order with an asynchronous codec', async () => {
    const { port, connection } = await h.server({ extensions: [xorExtension({ async: true })] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    const sent = Array.from({ length: 12 }, (_, i) => `message ${i}`);
    const { connection: conn } = await connection();
    for (const m of sent) conn.send(m);
    await raw.frameAt(sent.length);
    expect(raw.dataFrames().map((f) => xored(f.payload).toString())).toEqual(sent);
  });

  it('keeps order between encoded and compress:false messages with an asynchronous codec', async () => {
    const { port, connection } = await h.server({ extensions: [xorExtension({ async: true })] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    const { connection: conn } = await connection();
    conn.send('one');
    conn.send('two', { compress: false });
    conn.send('three');
    await raw.frameAt(3);
    const decoded = raw.dataFrames().map((f) => (f.rsv & XOR_RSV ? xored(f.payload) : f.payload).toString());
    expect(decoded).toEqual(['one', 'two', 'three']);
  });

  it('disposes the codec once the connection is gone', async () => {
    const extension = xorExtension();
    const { port, connection } = await h.server({ extensions: [extension] });
    const raw = await h.raw(port, withOffer('x-xor; key=7'));
    const { events } = await connection();
    raw.destroy();
    await events.nth('close');
    await until(() => extension.stats.disposed === 1, 'the codec to be disposed');
    expect(extension.stats.disposed).toBe(1);
  });
});
