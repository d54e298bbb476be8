/**
 * `maxConnections` (README, Server options): open connections plus handshakes in progress;
 * past it, upgrades are refused with 503 Service Unavailable.
 */
import { useHarness } from '../helpers/harness';
import { upgradeRequest } from '../helpers/raw-http';
import { until } from '../helpers/events';

const h = useHarness();

describe('maxConnections', () => {
  it('accepts up to the limit', async () => {
    const { url, server } = await h.server({ maxConnections: 2 });
    await h.ws(url);
    await h.ws(url);
    expect(server.clients.size).toBe(2);
  });

  it('answers 503 past the limit', async () => {
    const { url, port } = await h.server({ maxConnections: 2 });
    await h.ws(url);
    await h.ws(url);
    expect((await h.request(port, upgradeRequest())).status).toBe(503);
  });

  it('accepts a new client once one has left', async () => {
    const { url, port, events } = await h.server({ maxConnections: 1 });
    const first = await h.ws(url);
    first.ws.close();
    await events.nth('close');
    expect((await h.request(port, upgradeRequest())).status).toBe(101);
  });

  it('accepts a new client once one was lost (TCP destroyed)', async () => {
    const { url, events } = await h.server({ maxConnections: 1 });
    const first = await h.ws(url);
    first.ws.terminate();
    await events.nth('close');
    await expect(h.ws(url)).resolves.toBeDefined();
  });

  it('counts a handshake whose verifyClient is still pending', async () => {
    let release: (value: boolean) => void = () => undefined;
    const pending = new Promise<boolean>((resolve) => (release = resolve));
    let calls = 0;
    const { port } = await h.server({ maxConnections: 1, verifyClient: () => (calls++ === 0 ? pending : true) });
    const firstResponse = h.request(port, upgradeRequest());
    await until(() => calls === 1, 'verifyClient to be called');
    const second = await h.request(port, upgradeRequest());
    release(true);
    expect([second.status, (await firstResponse).status]).toEqual([503, 101]);
  });

  it('does not count refused handshakes', async () => {
    const { port } = await h.server({ maxConnections: 1 });
    for (let i = 0; i < 3; i++) await h.request(port, upgradeRequest({ headers: { 'Sec-WebSocket-Version': '8' } }));
    expect((await h.request(port, upgradeRequest())).status).toBe(101);
  });
});
