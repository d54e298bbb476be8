/**
 * The chat page in headless Chromium (Debian's `chromium` package), driven by playwright-core.
 * Outside CI a missing browser skips this file with a warning; in CI (CI=true) it fails.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startChat, type ChatHandle } from '../src/chat-server';
import { ChatPages, WAIT_MS, describeInBrowser, joinAs, message, notice, say } from './helpers/chat-pages';

const SCREENSHOT = join(__dirname, '..', 'screenshot.png');

describeInBrowser('the chat page in Chromium', () => {
  let chat: ChatHandle;
  let pages: ChatPages | undefined;
  let ada: Page;
  let grace: Page;

  const openPage = (): Promise<Page> => pages!.open(chat.url);

  /** SHA-256 of the UTF-8 of the first message `length` characters long, computed in the page. */
  async function digestOfMessage(page: Page, length: number): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const digest = await page.locator('#messages li.message .text').evaluateAll(async (elements, wanted) => {
        const hit = elements.find((element) => (element.textContent ?? '').length === wanted);
        if (hit === undefined) return null;
        const sum = new Uint8Array(
          await crypto.subtle.digest('SHA-256', new TextEncoder().encode(hit.textContent ?? '')),
        );
        return Array.from(sum, (byte) => byte.toString(16).padStart(2, '0')).join('');
      }, length);
      if (digest !== null) return digest;
      if (Date.now() > deadline) throw new Error(`no message of ${length} characters within ${WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeAll(async () => {
    chat = await startChat({ port: 0, heartbeatInterval: 1000 });
    pages = await ChatPages.launch();
    ada = await openPage();
    grace = await openPage();
    await joinAs(ada, 'Ada');
    await joinAs(grace, 'Grace');
  });

  afterAll(async () => {
    await pages?.close();
    await chat?.close();
  });

  it('shows that permessage-deflate was negotiated', async () => {
    for (const page of [ada, grace]) {
      // The page shows the browser's own WebSocket.extensions.
      await expect(page.textContent('#extensions')).resolves.toMatch(/^permessage-deflate/);
    }
  });

  it('names the server process in the header', async () => {
    await expect(ada.textContent('#server')).resolves.toBe(`chat (pid ${process.pid})`);
  });

  it('lists both participants on both pages', async () => {
    for (const page of [ada, grace]) {
      await page.locator('#users li', { hasText: 'Grace' }).waitFor();
      await expect(page.locator('#users li').allTextContents()).resolves.toEqual(['Ada', 'Grace']);
    }
  });

  it('shows a message typed in one page in both', async () => {
    await say(ada, 'Hello Grace, this chat runs on @ws/core.');
    await message(ada, 'Hello Grace, this chat runs on @ws/core.').waitFor();
    await message(grace, 'Hello Grace, this chat runs on @ws/core.').waitFor();
    await expect(grace.locator('#messages li.message').last().locator('.author').textContent()).resolves.toBe('Ada');
  });

  it('round-trips a binary message', async () => {
    const bytes = randomBytes(64 * 1024);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await ada.setInputFiles('#file', { name: 'sample.bin', mimeType: 'application/octet-stream', buffer: bytes });
    for (const page of [ada, grace]) {
      const item = page.locator(`#messages li.binary[data-sha256="${sha256}"]`);
      await item.waitFor();
      await expect(item.getAttribute('data-size')).resolves.toBe(String(bytes.length));
    }
  });

  it('renders the conversation (saved as examples/chat/screenshot.png)', async () => {
    await say(grace, 'Hi Ada! Compression is on: look at the header.');
    await say(ada, 'And the page reconnects by itself if the server restarts.');
    await message(grace, 'reconnects by itself').waitFor();
    await grace.locator('#messages li.binary .digest').waitFor();
    const image = await grace.screenshot({ path: SCREENSHOT });
    expect(image.length).toBeGreaterThan(10_000);
  });

  it('delivers a 1 MiB message intact', async () => {
    // 1 Mi characters mixing 1-, 2- and 3-byte UTF-8, so a mangled boundary anywhere changes
    // the digest. (Characters the installed fonts have: without a CJK font, laying out a
    // megabyte of CJK makes Chromium search fallback fonts for many seconds.)
    const pattern = 'abc-ÄÖü-€→✓-0123456789 ';
    const text = pattern.repeat(Math.ceil((1024 * 1024) / pattern.length)).slice(0, 1024 * 1024);
    const expected = createHash('sha256').update(text, 'utf8').digest('hex');
    await ada.fill('#text', text);
    await ada.press('#text', 'Enter');
    for (const page of [grace, ada]) {
      await expect(digestOfMessage(page, text.length)).resolves.toBe(expected);
    }
  });

  it('shows the leave notice in the other page when a page closes', async () => {
    const linus = await openPage();
    await joinAs(linus, 'Linus');
    await notice(ada, 'Linus joined').waitFor();
    await linus.close();
    await notice(ada, 'Linus left').waitFor();
    await expect(ada.locator('#users li').allTextContents()).resolves.toEqual(['Ada', 'Grace']);
  });

  it('reconnects and joins again when the server restarts on the same port', async () => {
    const port = chat.port;
    await chat.close();
    await notice(ada, 'Connection lost').waitFor();
    chat = await startChat({ port, heartbeatInterval: 1000 });
    for (const page of [ada, grace]) {
      await notice(page, 'Reconnected.').waitFor();
      await page.locator('#state[data-state="open"]').waitFor();
      await page.locator('#message-form').waitFor({ state: 'visible' });
    }
    await say(grace, 'Back after the restart.');
    await message(ada, 'Back after the restart.').waitFor();
  });

  it('raised no script errors in any page', () => {
    expect(pages!.scriptErrors).toEqual([]);
  });
});
