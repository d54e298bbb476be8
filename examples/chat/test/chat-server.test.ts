import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import WebSocket from 'ws';
import { startChat, type ChatHandle } from '../src/chat-server';
import { ChatClient } from './helpers/chat-client';

let chat: ChatHandle;
const clients: ChatClient[] = [];

beforeAll(async () => {
  chat = await startChat({
    port: 0,
    limits: { text: 1000, binary: 4096, payload: 8192 },
    maxMessagesPerSecond: 20,
    maxBytesPerSecond: 6000,
  });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

afterAll(() => chat.close());

async function connect(): Promise<Awaited<ReturnType<typeof ChatClient.connect>>> {
  const result = await ChatClient.connect(chat.wsUrl);
  clients.push(result.client);
  return result;
}

async function join(name: string): Promise<ChatClient> {
  const client = await ChatClient.join(chat.wsUrl, name);
  clients.push(client);
  return client;
}

function get(
  path: string,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${chat.url.replace(/\/$/, '')}${path}`, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the page over HTTP', () => {
  it.each([
    ['/', 'text/html; charset=utf-8', '<title>'],
    ['/index.html', 'text/html; charset=utf-8', '<title>'],
    ['/chat.js', 'text/javascript; charset=utf-8', 'new WebSocket('],
    ['/style.css', 'text/css; charset=utf-8', ':root'],
  ])('GET %s is served as %s', async (path, type, snippet) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.body).toContain(snippet);
  });

  it('sends a Content-Security-Policy that allows only its own origin', async () => {
    const response = await get('/');
    expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it.each(['/../package.json', '/src/chat-server.ts', '/chat', '/favicon.ico'])('GET %s is 404', async (path) => {
    expect((await get(path)).status).toBe(404);
  });

  it('POST / is 405', async () => {
    expect((await get('/', 'POST')).status).toBe(405);
  });
});

describe('connecting', () => {
  it('welcomes each connection with a server-assigned id, the room and its limits', async () => {
    const first = await connect();
    const second = await connect();
    expect(second.welcome.id).toBeGreaterThan(first.welcome.id);
    expect(second.welcome.limits).toEqual({ name: 32, text: 1000, binary: 4096, payload: 8192 });
  });

  it('names the server process in the welcome', async () => {
    const { welcome } = await connect();
    expect(welcome.server).toEqual({ name: 'chat', pid: process.pid });
  });

  it('hands out ids from first by step, so processes sharing a room never collide', async () => {
    const second = await startChat({ port: 0, ids: { first: 2, step: 3 }, identity: { name: 'worker 2', pid: 4242 } });
    try {
      const welcomes = [];
      for (let i = 0; i < 3; i++) {
        const { client, welcome } = await ChatClient.connect(second.wsUrl);
        clients.push(client);
        welcomes.push(welcome);
      }
      expect(welcomes.map((welcome) => welcome.id)).toEqual([2, 5, 8]);
      expect(welcomes[0].server).toEqual({ name: 'worker 2', pid: 4242 });
    } finally {
      await second.close();
    }
  });

  it('negotiates permessage-deflate with a client that offers it', async () => {
    const { client, welcome } = await connect();
    expect(client.ws.extensions).toContain('permessage-deflate');
    expect(welcome.extensions).toContain('permessage-deflate');
  });

  it('lists the participants who already joined', async () => {
    await join('ada');
    const { welcome } = await connect();
    expect(welcome.users.map((user) => user.name)).toContain('ada');
  });

  it('refuses an upgrade on another path with 404', async () => {
    const ws = new WebSocket(chat.wsUrl.replace('/chat', '/other'));
    ws.on('error', () => undefined);
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    ws.terminate();
    expect(status).toBe(404);
  });
});

describe('joining and leaving', () => {
  it('announces a join to every open connection, under the id the server assigned', async () => {
    const watcher = await connect();
    const { client, welcome } = await connect();
    client.send({ type: 'join', name: 'grace' });
    const announced = await watcher.client.nextWhere('join', (event) => event.user.name === 'grace');
    expect(announced.user.id).toBe(welcome.id);
  });

  it('announces an explicit leave', async () => {
    const watcher = await connect();
    const leaver = await join('linus');
    leaver.send({ type: 'leave' });
    await expect(watcher.client.nextWhere('leave', (event) => event.user.name === 'linus')).resolves.toBeDefined();
  });

  it('announces a leave when a joined connection closes', async () => {
    const watcher = await connect();
    const leaver = await join('barbara');
    await leaver.close();
    await expect(watcher.client.nextWhere('leave', (event) => event.user.name === 'barbara')).resolves.toBeDefined();
  });

  it('announces a leave when a joined connection drops without a close frame', async () => {
    const watcher = await connect();
    const leaver = await join('ken');
    leaver.terminate();
    await expect(watcher.client.nextWhere('leave', (event) => event.user.name === 'ken')).resolves.toBeDefined();
  });

  it('answers a second join with already-joined', async () => {
    const client = await join('dennis');
    client.send({ type: 'join', name: 'root' });
    await expect(client.next('error')).resolves.toMatchObject({ code: 'already-joined' });
  });

  it('answers a leave before joining with not-joined', async () => {
    const { client } = await connect();
    client.send({ type: 'leave' });
    await expect(client.next('error')).resolves.toMatchObject({ code: 'not-joined' });
  });

  it('answers an invalid name with invalid-name and keeps the connection', async () => {
    const { client } = await connect();
    client.send({ type: 'join', name: 'x'.repeat(33) });
    await expect(client.next('error')).resolves.toMatchObject({ code: 'invalid-name' });
    client.send({ type: 'join', name: 'x'.repeat(32) });
    await expect(client.next('join')).resolves.toMatchObject({ user: { name: 'x'.repeat(32) } });
  });

  it('lets two participants use the same display name, told apart by id', async () => {
    const first = await join('sam');
    const second = await join('sam');
    first.send({ type: 'message', text: 'from the first' });
    const seen = await second.nextWhere('message', (event) => event.text === 'from the first');
    const secondJoin = await first.nextWhere('join', (event) => event.user.name === 'sam');
    expect(seen.user.id).not.toBe(secondJoin.user.id);
  });
});

describe('messages', () => {
  it('broadcasts a message to every participant, the sender included', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    alice.send({ type: 'message', text: 'hello, bob' });
    const [toAlice, toBob] = await Promise.all([alice.next('message'), bob.next('message')]);
    expect(toBob).toMatchObject({ type: 'message', text: 'hello, bob', user: { name: 'alice' } });
    expect(toAlice).toEqual(toBob);
  });

  it('broadcasts to connections that only watch', async () => {
    const watcher = await connect();
    const poster = await join('poster');
    poster.send({ type: 'message', text: 'for everyone' });
    await expect(watcher.client.next('message')).resolves.toMatchObject({ text: 'for everyone' });
  });

  it('answers a message before joining with not-joined and broadcasts nothing', async () => {
    const watcher = await connect();
    const { client } = await connect();
    client.send({ type: 'message', text: 'sneaky' });
    await expect(client.next('error')).resolves.toMatchObject({ code: 'not-joined' });
    await expect(watcher.client.next('message', 200)).rejects.toThrow('timed out');
  });

  it('answers a message over the text limit with too-long', async () => {
    const client = await join('verbose');
    client.send({ type: 'message', text: 'y'.repeat(1001) });
    await expect(client.next('error')).resolves.toMatchObject({ code: 'too-long' });
  });

  it('numbers messages in the order it broadcast them', async () => {
    const client = await join('counter');
    for (const text of ['one', 'two', 'three']) client.send({ type: 'message', text });
    const received = [await client.next('message'), await client.next('message'), await client.next('message')];
    expect(received.map((event) => event.text)).toEqual(['one', 'two', 'three']);
    expect(received[1].seq).toBe(received[0].seq + 1);
    expect(received[2].seq).toBe(received[1].seq + 1);
  });
});

describe('binary messages', () => {
  it('broadcasts binary bytes after a header naming the sender and the size', async () => {
    const alice = await join('alice');
    const bob = await join('bob');
    const bytes = randomBytes(4096);
    alice.ws.send(bytes);
    const header = await bob.next('binary');
    const data = await bob.nextBinary();
    expect(header).toMatchObject({ size: 4096, user: { name: 'alice' } });
    expect(createHash('sha256').update(data).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('returns the bytes to the sender too', async () => {
    const alice = await join('alice');
    const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe]);
    alice.ws.send(bytes);
    await alice.next('binary');
    await expect(alice.nextBinary()).resolves.toEqual(bytes);
  });

  it('answers binary before joining with not-joined', async () => {
    const { client } = await connect();
    client.ws.send(Buffer.from([1, 2, 3]));
    await expect(client.next('error')).resolves.toMatchObject({ code: 'not-joined' });
  });

  it('answers binary over the binary limit with too-long', async () => {
    const client = await join('uploader');
    client.ws.send(Buffer.alloc(4097));
    await expect(client.next('error')).resolves.toMatchObject({ code: 'too-long' });
  });
});

describe('hostile clients', () => {
  it.each([
    ['text that is not JSON', 1003, 'hello'],
    ['JSON that is not an object', 1008, '[1,2,3]'],
    ['an unknown type', 1008, '{"type":"kick","id":1}'],
    ['a join claiming an id', 1008, '{"type":"join","name":"mallory","id":1}'],
  ])('closes on %s with %i', async (_name, code, text) => {
    const { client } = await connect();
    client.send(text);
    await expect(client.closed).resolves.toMatchObject({ code });
  });

  it('closes with 1009 when a message passes maxPayload', async () => {
    const client = await join('flood');
    client.ws.send(Buffer.alloc(8193));
    await expect(client.closed).resolves.toMatchObject({ code: 1009 });
  });

  it('closes with 1008 when a connection sends more messages per second than allowed', async () => {
    const client = await join('spammer');
    for (let i = 0; i < 25; i++) client.send({ type: 'message', text: `spam ${i}` });
    await expect(client.closed).resolves.toMatchObject({ code: 1008, reason: 'too many messages' });
  });

  it('closes with 1008 when a connection sends more bytes per second than allowed', async () => {
    const client = await join('hog');
    client.ws.send(Buffer.alloc(4000));
    client.ws.send(Buffer.alloc(4000));
    await expect(client.closed).resolves.toMatchObject({ code: 1008, reason: 'too much data' });
  });

  it('announces no leave for a connection that never joined', async () => {
    const watcher = await connect();
    const { client } = await connect();
    await client.close();
    await expect(watcher.client.next('leave', 200)).rejects.toThrow('timed out');
  });
});

describe('shutting down', () => {
  it('closes every connection with 1001 and stops listening', async () => {
    const own = await startChat({ port: 0 });
    const { client } = await ChatClient.connect(own.wsUrl);
    await own.close();
    await expect(client.closed).resolves.toMatchObject({ code: 1001 });
    const refused = new WebSocket(own.wsUrl);
    await expect(new Promise((_resolve, reject) => refused.on('error', reject))).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
