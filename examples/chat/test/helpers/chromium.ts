/**
 * Debian's Chromium (`/usr/bin/chromium`, or $CHROMIUM_PATH) driven by playwright-core, for the
 * browser tests. Outside CI a missing browser skips them with a warning; in CI (CI=true) they fail.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_FOUND = existsSync(CHROMIUM);
const IN_CI = process.env.CI === 'true';

/** `describe`, or `describe.skip` with a warning when there is no browser outside CI. */
export function describeInBrowser(what: string): jest.Describe {
  if (!CHROMIUM_FOUND && !IN_CI) {
    console.warn(
      `Skipping ${what}: Chromium not found at ${CHROMIUM}. ` +
        'Install it (apt-get install chromium) or set CHROMIUM_PATH; with CI=true this fails instead.',
    );
    return describe.skip;
  }
  return describe;
}

/** A headless browser on a fresh temporary profile; `args` are added to the usual quiet flags. */
export async function launchChromium(args: readonly string[] = []): Promise<Browser> {
  if (!CHROMIUM_FOUND) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
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
