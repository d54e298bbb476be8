/**
 * HTTP error answers (issue #12): nothing from the request (path, headers) is echoed into a body,
 * and every body is a short fixed line of text/plain with nosniff, whatever the request held:
 * markup, CR/LF, 10 KB of path.
 */
import * as http from 'node:http';
import { Server } from '@ws/core';
import { withTimeout } from '../helpers/events';
import { useHarness } from '../helpers/harness';
import { connectTcp, upgradeRequest } from '../helpers/raw-http';

const h = useHarness();

interface WholeResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
}

/** Sends `request` as is and reads everything until the server closes the connection. */
async function wholeResponse(port: number, request: string): Promise<WholeResponse> {
  const socket = await connectTcp(port, h.trackSocket);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(request);
  await withTimeout(ended, 3000, 'the server to answer and close');
  const raw = Buffer.concat(chunks).toString('latin1');
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines)
    headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(end + 4), raw };
}

const SCRIPT = '<script>alert(1)</script>';
const LONG = 'x'.repeat(10 * 1024);
const hostile = [
  ['markup', `/${encodeURI(SCRIPT)}`, 'script'],
  ['raw markup', `/${SCRIPT}`, 'script'],
  ['percent-encoded CR/LF', '/a%0d%0aSet-Cookie:%20evil=1', 'evil'],
  ['a 10 KB path', `/${LONG}`, 'xxxxxxxx'],
] as const;

/** The fixed shape: these headers only, a body of one short line that holds nothing of `needle`. */
function expectFixedShape(response: WholeResponse, status: number, needle: string): void {
  expect(response.status).toBe(status);
  expect(response.body).not.toContain(needle);
  expect(response.body).not.toMatch(/[\r\n<>]/);
  expect(response.body.length).toBeLessThanOrEqual(200);
  expect(Number(response.headers['content-length'])).toBe(Buffer.byteLength(response.body));
  expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['set-cookie']).toBeUndefined();
  expect(response.raw).not.toContain(needle);
}

describe('404 bodies do not echo the path', () => {
  it.each(hostile)('standalone upgrade, %s', async (_, path, needle) => {
    const { port } = await h.server({ path: '/ws' });
    expectFixedShape(await wholeResponse(port, upgradeRequest({ path })), 404, needle);
  });

  it.each(hostile)('standalone plain HTTP request, %s', async (_, path, needle) => {
    const { port } = await h.server({ path: '/ws' });
    const response = await wholeResponse(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    expect(response.status).toBe(404);
    expect(response.body).not.toContain(needle);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(hostile)('attached mode, a path no server serves, %s', async (_, path, needle) => {
    const { httpServer, port } = await h.httpServer();
    h.adopt(new Server({ server: httpServer, path: '/a' }));
    h.adopt(new Server({ server: httpServer, path: '/b' }));
    expectFixedShape(await wholeResponse(port, upgradeRequest({ path })), 404, needle);
  });

  it.each(hostile)('no-server mode with a path, %s', async (_, path, needle) => {
    const server = h.adopt(new Server({ noServer: true, path: '/ws' }));
    const { httpServer, port } = await h.httpServer(http.createServer());
    httpServer.on('upgrade', (request, socket, head) => server.handleUpgrade(request, socket, head));
    expectFixedShape(await wholeResponse(port, upgradeRequest({ path })), 404, needle);
  });
});

describe('400 bodies do not echo headers', () => {
  it.each([
    ['Sec-WebSocket-Protocol', `chat, ${SCRIPT}`],
    ['Sec-WebSocket-Extensions', `permessage-deflate; ${SCRIPT}`],
    ['Sec-WebSocket-Key', SCRIPT],
    ['Upgrade', SCRIPT],
  ])('a malformed %s', async (name, value) => {
    const { port } = await h.server();
    expectFixedShape(await wholeResponse(port, upgradeRequest({ headers: { [name]: value } })), 400, 'script');
  });

  it('a raw CR/LF in the request line is refused by the HTTP parser, with nothing of it echoed', async () => {
    const { port } = await h.server();
    const response = await wholeResponse(
      port,
      'GET /a\rSet-Cookie: evil=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    );
    expect(response.status).toBe(400);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.raw).not.toContain('evil');
  });
});

describe('verifyClient messages are one short line', () => {
  it('control characters become spaces and the length is capped at 200', async () => {
    const message = `denied\r\nSet-Cookie: evil=1\r\n\r\n${'y'.repeat(10_000)}`;
    const { port } = await h.server({ verifyClient: () => ({ status: 403, message }) });
    const response = await wholeResponse(port, upgradeRequest());
    expect(response.status).toBe(403);
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(response.body).toBe(`denied  Set-Cookie: evil=1    ${'y'.repeat(200 - 30)}`);
  });

  it('a cut does not leave half of a surrogate pair', async () => {
    const message = `${'a'.repeat(199)}😀`;
    const { port } = await h.server({ verifyClient: () => ({ status: 403, message }) });
    const response = await wholeResponse(port, upgradeRequest());
    expect(Buffer.from(response.raw, 'latin1').toString('utf8').endsWith('a'.repeat(199))).toBe(true);
    expect(Number(response.headers['content-length'])).toBe(199);
  });
});
