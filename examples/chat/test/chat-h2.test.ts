/**
 * The chat's HTTP/2 mode without a browser: Node's `http2` client loads the page and opens the
 * chat's WebSocket as a stream of the same session (RFC 8441); an HTTP/1.1 client (the `ws`
 * package) joins on the same port, and the two talk.
 */
import type * as http2 from 'node:http2';
import WebSocket from 'ws';
import { bodyOf, h2Connect, h2Request, openH2 } from '../../../packages/core/test/helpers/h2-client';
import { text } from '../../../packages/core/test/helpers/frames';
import { startChat, type ChatHandle } from '../src/chat-server';
import { selfSignedCertificate } from '../src/self-signed';

const tls = selfSignedCertificate();
let chat: ChatHandle;
let session: http2.ClientHttp2Session;
const log: string[] = [];

beforeAll(async () => {
  chat = await startChat({ port: 0, tls, log: (line) => log.push(line) });
  session = await h2Connect(chat.port, tls.cert);
});

afterAll(async () => {
  session?.destroy();
  await chat?.close();
});

/** The next JSON text message of `type` among the frames a stream client has received. */
async function nextOfType(client: Awaited<ReturnType<typeof openH2>>, type: string, after = 0): Promise<any> {
  for (let n = after + 1; ; n++) {
    const message = JSON.parse((await client.frameAt(n)).payload.toString());
    if (message.type === type) return message;
  }
}

it('serves the page over h2, with its security headers', async () => {
  const answer = await h2Request(session, { ':path': '/' });
  expect(answer.status).toBe(200);
  expect(answer.headers['content-security-policy']).toContain("connect-src 'self' ws: wss:");
  expect(await bodyOf(answer.stream)).toContain('<html');
  expect(chat.url).toMatch(/^https:\/\//);
  expect(chat.wsUrl).toMatch(/^wss:\/\/.*\/chat$/);
});

it('takes the chat WebSocket as a stream of the same session, and talks to an HTTP/1.1 client', async () => {
  const ada = await openH2(session, {
    path: '/chat',
    headers: { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' },
  });
  expect(ada.responseHeaders['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
  await nextOfType(ada, 'welcome');
  // Uncompressed frames are fine too: RSV1 clear means "not compressed" (RFC 7692 §6).
  ada.send(text(JSON.stringify({ type: 'join', name: 'Ada' })));

  const grace = new WebSocket(chat.wsUrl, { ca: tls.cert });
  const heard = new Promise<any>((resolve) =>
    grace.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'message') resolve(message);
    }),
  );
  await new Promise((resolve) => grace.once('open', resolve));
  ada.send(text(JSON.stringify({ type: 'message', text: 'hello from an h2 stream' })));
  expect((await heard).text).toBe('hello from an h2 stream');
  expect(log.filter((line) => line.startsWith('open ')).map((line) => line.split(' ')[2])).toEqual(['h2', 'h1']);
  grace.close();
  ada.sendClose(1000);
  await ada.closed;
});
