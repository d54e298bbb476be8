/**
 * The chat over TLS and HTTP/2 in headless Chromium: the page, its files and the WebSocket share
 * one h2 connection (RFC 8441); with HTTP/2 turned off in the browser, everything falls back to
 * HTTP/1.1 and still works. The server's log says which transport each WebSocket came over.
 */
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Server } from '@ws/core';
import type { Page } from 'playwright-core';
import { startChat, type ChatHandle } from '../src/chat-server';
import { selfSignedCertificate } from '../src/self-signed';
import { ChatPages, describeInBrowser, joinAs, launchChromium, message, say } from './helpers/chat-pages';

describeInBrowser('the chat over HTTP/2 in Chromium', () => {
  let chat: ChatHandle;
  const log: string[] = [];
  const browsers: ChatPages[] = [];

  beforeAll(async () => {
    chat = await startChat({ port: 0, tls: selfSignedCertificate(), log: (line) => log.push(line) });
  });

  afterAll(async () => {
    for (const browser of browsers) await browser.close();
    await chat?.close();
  });

  /** A page of a browser started with `args`, joined as `name`, once its WebSocket is open. */
  async function joinedPage(args: string[], name: string): Promise<Page> {
    const browser = await ChatPages.launch(['--ignore-certificate-errors', ...args]);
    browsers.push(browser);
    const page = await browser.open(chat.url);
    await joinAs(page, name);
    return page;
  }

  // Evaluated in the page (this project's types have no DOM): the protocol the page came over.
  const pageProtocol = (page: Page) => page.evaluate('performance.getEntriesByType("navigation")[0].nextHopProtocol');
  const opened = (transport: string) => log.filter((line) => line.startsWith(`open 127.0.0.1 ${transport} `));

  let h2Page: Page;

  it('opens the wss:// WebSocket as an HTTP/2 stream, the page having come over h2 too', async () => {
    h2Page = await joinedPage([], 'Ada');
    await expect(pageProtocol(h2Page)).resolves.toBe('h2');
    expect(opened('h2')).toHaveLength(1);
    expect(opened('h1')).toHaveLength(0);
    // permessage-deflate is negotiated on the stream as on HTTP/1.1.
    await expect(h2Page.textContent('#extensions')).resolves.toMatch(/^permessage-deflate/);
  });

  it('round-trips messages both ways over the stream', async () => {
    await say(h2Page, 'Hello over one HTTP/2 connection.');
    await message(h2Page, 'Hello over one HTTP/2 connection.').waitFor();
  });

  it('falls back to HTTP/1.1 with HTTP/2 turned off in the browser, and both pages talk', async () => {
    const h1Page = await joinedPage(['--disable-http2'], 'Grace');
    await expect(pageProtocol(h1Page)).resolves.toBe('http/1.1');
    expect(opened('h1')).toHaveLength(1);
    await say(h1Page, 'Hi Ada, I came over HTTP/1.1.');
    await message(h2Page, 'Hi Ada, I came over HTTP/1.1.').waitFor();
    await say(h2Page, 'Hi Grace, I am on an h2 stream.');
    await message(h1Page, 'Hi Grace, I am on an h2 stream.').waitFor();
  });

  it("falls back to HTTP/1.1 for the WebSocket when the page's h2 server does not allow the extended CONNECT", async () => {
    // An HTTP/2 server whose SETTINGS never allow RFC 8441, as many proxies are: the page still
    // comes over h2, and Chromium opens an HTTP/1.1 connection for the WebSocket beside it.
    const httpServer = createSecureServer({ ...selfSignedCertificate(), allowHTTP1: true }, (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>fallback</title><p>fallback</p>');
    });
    const wsServer = new Server({ server: httpServer, path: '/ws' });
    httpServer.updateSettings({ enableConnectProtocol: false });
    const transports: string[] = [];
    wsServer.on('connection', (connection) => {
      transports.push(connection.transport);
      connection.on('message', (data) => connection.send(`echo ${String(data)}`));
    });
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const browser = await launchChromium(['--ignore-certificate-errors']);
    try {
      const page = await browser.newPage();
      await page.goto(`https://127.0.0.1:${(httpServer.address() as AddressInfo).port}/`);
      await expect(pageProtocol(page)).resolves.toBe('h2');
      const answer = await page.evaluate(`new Promise((resolve, reject) => {
        const ws = new WebSocket('wss://' + location.host + '/ws');
        ws.onopen = () => ws.send('over h1');
        ws.onmessage = (event) => { resolve(event.data); ws.close(); };
        ws.onerror = () => reject(new Error('WebSocket failed'));
      })`);
      expect([answer, transports]).toEqual(['echo over h1', ['h1']]);
    } finally {
      await wsServer.close();
      await browser.close(); // its HTTP/2 session with it, so the server can close
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    }
  });

  it('raised no script errors', () => {
    expect(browsers.flatMap((browser) => browser.scriptErrors)).toEqual([]);
  });
});
