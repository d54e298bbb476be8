import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { startEcho, type EchoHandle } from '../src/echo-server';

let echo: EchoHandle;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  echo = await startEcho({ port: 0 });
});

afterEach(async () => {
  await Promise.all(
    sockets.splice(0).map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close();
        }),
    ),
  );
});

afterAll(() => echo.close());

async function open(url = echo.url, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary })));
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('the echo server', () => {
  it('negotiates permessage-deflate with a client that offers it', async () => {
    const ws = await open();
    expect(ws.extensions).toMatch(/^permessage-deflate/);
  });

  it('works without extensions for a client that offers none', async () => {
    const ws = await open(echo.url, { perMessageDeflate: false });
    expect(ws.extensions).toBe('');
    const reply = nextMessage(ws);
    ws.send('plain');
    await expect(reply).resolves.toEqual({ data: Buffer.from('plain'), isBinary: false });
  });

  it.each([
    ['ASCII text', 'hello'],
    ['empty text', ''],
    ['multi-byte text', 'Grüße, 世界, 🐙'],
    ['compressible text of 256 KiB', 'abcdefgh'.repeat(32 * 1024)],
  ])('echoes %s as text', async (_name, text) => {
    const ws = await open();
    const reply = nextMessage(ws);
    ws.send(text);
    const { data, isBinary } = await reply;
    expect(isBinary).toBe(false);
    expect(data.toString('utf8')).toBe(text);
  });

  it.each([
    ['a few bytes', Buffer.from([0, 1, 0xfe, 0xff])],
    ['an empty buffer', Buffer.alloc(0)],
    ['5 MiB of random bytes (several outgoing frames)', randomBytes(5 * 1024 * 1024)],
  ])('echoes %s as binary', async (_name, bytes) => {
    const ws = await open();
    const reply = nextMessage(ws);
    ws.send(bytes);
    const { data, isBinary } = await reply;
    expect(isBinary).toBe(true);
    expect(data.equals(bytes)).toBe(true);
  });

  it('echoes a fragmented message as one message', async () => {
    const ws = await open();
    const reply = nextMessage(ws);
    ws.send('frag', { fin: false });
    ws.send('men', { fin: false });
    ws.send('ted', { fin: true });
    await expect(reply).resolves.toEqual({ data: Buffer.from('fragmented'), isBinary: false });
  });

  it('echoes 200 messages in the order they were sent', async () => {
    const ws = await open();
    const received: string[] = [];
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        received.push(data.toString());
        if (received.length === 200) resolve();
      }),
    );
    const sent = Array.from({ length: 200 }, (_, i) => `message ${i}`);
    for (const text of sent) ws.send(text);
    await done;
    expect(received).toEqual(sent);
  });

  it('closes with 1009 when a message passes maxPayload', async () => {
    const small = await startEcho({ port: 0, maxPayload: 1024 });
    try {
      const ws = await open(small.url);
      const code = closed(ws);
      ws.send(randomBytes(1025));
      await expect(code).resolves.toBe(1009);
    } finally {
      await small.close();
    }
  });

  it('closes its clients with 1001 when it shuts down', async () => {
    const own = await startEcho({ port: 0 });
    const ws = await open(own.url);
    const code = closed(ws);
    await own.close();
    await expect(code).resolves.toBe(1001);
  });
});
