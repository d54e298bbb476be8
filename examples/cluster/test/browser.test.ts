/**
 * The cluster in headless Chromium: two pages served by two different worker processes. Each
 * shows its own process, and a message typed in one appears in the other, through Redis.
 * Skipped with a message without Chromium or redis-server; under CI=true either missing fails.
 */
import type { Page } from 'playwright-core';
import { ChatPages, describeInBrowser, joinAs, message, notice, say } from '../../chat/test/helpers/chat-pages';
import { describeWithRedis } from '../../../packages/redis/test/helpers/redis-server';
import { startCluster, type ClusterHandle } from '../src/cluster';

/** Worker processes transpile their sources on a first run (cached after): a loaded machine needs time. */
const STARTUP_MS = 90_000;

describeWithRedis('the chat cluster', () => {
  describeInBrowser('two pages on two processes, in Chromium', () => {
    let cluster: ClusterHandle;
    let pages: ChatPages | undefined;
    let ada: Page;
    let grace: Page;

    beforeAll(async () => {
      cluster = await startCluster({ workers: 2, port: 0 });
      pages = await ChatPages.launch();
      ada = await pages.open(cluster.workers[0].url);
      grace = await pages.open(cluster.workers[1].url);
      await joinAs(ada, 'Ada');
      await joinAs(grace, 'Grace');
    }, STARTUP_MS);

    afterAll(async () => {
      await pages?.close();
      await cluster?.close();
    });

    it('shows on each page the process it is connected to', async () => {
      const [first, second] = cluster.workers;
      await expect(ada.textContent('#server')).resolves.toBe(`worker 1 (pid ${first.pid})`);
      await expect(grace.textContent('#server')).resolves.toBe(`worker 2 (pid ${second.pid})`);
      expect(first.pid).not.toBe(second.pid);
    });

    it('announces a join made on the other process', async () => {
      await notice(ada, 'Grace joined').waitFor();
    });

    it('shows a message typed in one page in the other, both ways', async () => {
      await say(ada, 'Hello from worker 1');
      await message(grace, 'Hello from worker 1').waitFor();
      await say(grace, 'And back from worker 2');
      await message(ada, 'And back from worker 2').waitFor();
      await expect(ada.locator('#messages li.message').last().locator('.author').textContent()).resolves.toBe('Grace');
    });

    it('raised no script errors in either page', () => {
      expect(pages!.scriptErrors).toEqual([]);
    });
  });
});
