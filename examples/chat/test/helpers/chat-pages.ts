/**
 * The chat page in headless Chromium (Debian's `chromium` package, driven by playwright-core),
 * for the browser tests of examples/chat and examples/cluster: the browser, one context per
 * participant, and the few actions a test takes on a page.
 *
 * Outside CI a missing browser skips the tests with a warning; in CI (CI=true) it fails.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_FOUND = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true';
export const WAIT_MS = 10_000;

/** `describe` when Chromium is there (or in CI, where its absence fails); otherwise a warning and `describe.skip`. */
export function describeInBrowser(name: string, body: () => void): void {
  if (CHROMIUM_FOUND || IN_CI) {
    describe(name, body);
    return;
  }
  console.warn(
    `Skipping "${name}": Chromium not found at ${CHROMIUM}. ` +
      'Install it (apt-get install chromium) or set CHROMIUM_PATH; with CI=true this fails instead.',
  );
  describe.skip(name, body);
}

/** A headless browser on a fresh temporary profile; `args` are added to the usual quiet flags. */
export async function launchChromium(args: readonly string[] = []): Promise<Browser> {
  if (!CHROMIUM_FOUND)
    throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  });
}

/** A browser with a page per participant; `close()` ends them all. */
export class ChatPages {
  readonly scriptErrors: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  private constructor(private readonly browser: Browser) {}

  /** `args` are added to the usual quiet flags (`--ignore-certificate-errors`, `--disable-http2`). */
  static async launch(args: readonly string[] = []): Promise<ChatPages> {
    return new ChatPages(await launchChromium(args));
  }

  /** Opens the page at `url` in a context of its own (separate cookies and storage, as two people would have). */
  async open(url: string): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 960, height: 600 } });
    this.contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    page.on('pageerror', (error) => this.scriptErrors.push(error.message));
    await page.goto(url);
    await page.locator('#state[data-state="open"]').waitFor();
    return page;
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close();
    await this.browser.close();
  }
}

export async function joinAs(page: Page, name: string): Promise<void> {
  await page.fill('#name', name);
  await page.click('#join');
  await page.locator('#message-form').waitFor({ state: 'visible' });
}

export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

export function message(page: Page, text: string) {
  return page.locator('#messages li.message .text', { hasText: text });
}

export function notice(page: Page, text: string) {
  return page.locator('#messages li.notice', { hasText: text });
}
