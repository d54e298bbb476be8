import { request } from 'node:http';
import WebSocket from 'ws';
import { startAttach, type AttachHandle } from '../src/attach-server';

const TOKEN = 's3cret token/with+symbols';
let app: AttachHandle;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  app = await startAttach({ port: 0, token: TOKEN });
});

afterEach(async () => {
  await Promise.all(
    sockets.splice(0).map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
          else ws.close();
        }),
    ),
  );
});

afterAll(() => app.close());

const withToken = (path: string, token = TOKEN): string => `${app.wsUrl}${path}?token=${encodeURIComponent(token)}`;

async function open(url: string, options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** The HTTP status of a refused upgrade. */
function refusal(url: string, options?: WebSocket.ClientOptions): Promise<number> {
  const ws = new WebSocket(url, options);
  sockets.push(ws);
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
  });
}

function nextMessage(ws: WebSocket): Promise<{ data: string; isBinary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ data: data.toString(), isBinary })),
  );
}

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.httpUrl}${path}`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ordinary HTTP routes next to the WebSocket endpoints', () => {
  it('answers GET /health with 200 and the client counts', async () => {
    const ws = await open(withToken('/echo'));
    const response = await get('/health');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ status: 'ok', clients: { echo: 1, broadcast: 0 } });
    ws.close();
  });

  it('answers other paths with 404', async () => {
    await expect(get('/nothing-here')).resolves.toMatchObject({ status: 404 });
  });
});

describe('/echo', () => {
  it('echoes text to its sender', async () => {
    const ws = await open(withToken('/echo'));
    const reply = nextMessage(ws);
    ws.send('ping?');
    await expect(reply).resolves.toEqual({ data: 'ping?', isBinary: false });
  });

  it('echoes binary as binary', async () => {
    const ws = await open(withToken('/echo'));
    const reply = nextMessage(ws);
    ws.send(Buffer.from('bytes'));
    await expect(reply).resolves.toEqual({ data: 'bytes', isBinary: true });
  });
});

describe('/broadcast', () => {
  it('sends a message to every client of /broadcast and none of /echo', async () => {
    const sender = await open(withToken('/broadcast'));
    const listener = await open(withToken('/broadcast'));
    const echoClient = await open(withToken('/echo'));
    let echoReceived = false;
    echoClient.on('message', () => (echoReceived = true));
    const [toSender, toListener] = [nextMessage(sender), nextMessage(listener)];
    sender.send('to all');
    await expect(toSender).resolves.toEqual({ data: 'to all', isBinary: false });
    await expect(toListener).resolves.toEqual({ data: 'to all', isBinary: false });
    // Let anything misrouted arrive before checking that nothing did.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(echoReceived).toBe(false);
  });
});

describe('authentication in verifyClient', () => {
  it('accepts the token in a cookie', async () => {
    const ws = await open(`${app.wsUrl}/echo`, {
      headers: { cookie: `theme=dark; token=${encodeURIComponent(TOKEN)}` },
    });
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it.each([
    ['/echo without a token', '/echo', {}],
    ['/broadcast without a token', '/broadcast', {}],
    ['a wrong token in the query', `/echo?token=wrong`, {}],
    ['the token with a character missing', `/echo?token=${encodeURIComponent(TOKEN.slice(0, -1))}`, {}],
    ['an empty token', '/echo?token=', {}],
    ['a wrong cookie', '/echo', { headers: { cookie: 'token=wrong' } }],
    ['a cookie that does not decode', '/echo', { headers: { cookie: 'token=%E0%A4%A' } }],
  ])('refuses %s with 401', async (_name, path, options) => {
    await expect(refusal(`${app.wsUrl}${path}`, options)).resolves.toBe(401);
  });

  it('refuses an upgrade on a path no server attached to with 404', async () => {
    await expect(refusal(withToken('/elsewhere'))).resolves.toBe(404);
  });
});

describe('shutting down', () => {
  it('closes the clients of both paths with 1001 and stops listening', async () => {
    const own = await startAttach({ port: 0, token: TOKEN });
    const clients = [
      await open(`${own.wsUrl}/echo?token=${encodeURIComponent(TOKEN)}`),
      await open(`${own.wsUrl}/broadcast?token=${encodeURIComponent(TOKEN)}`),
    ];
    const codes = clients.map((ws) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code))));
    await own.close();
    await expect(Promise.all(codes)).resolves.toEqual([1001, 1001]);
    await expect(
      new Promise((resolve, reject) =>
        request(`${own.httpUrl}/health`, { agent: false }, resolve).on('error', reject).end(),
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
