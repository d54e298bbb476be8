/**
 * `verifyClient` (README, Server options): the application accepts or refuses each upgrade
 * before the 101 is sent (RFC 6455 §4.2.2 step 3 leaves the HTTP answer to the server).
 */
import type * as http from 'node:http';
import { useHarness } from '../helpers/harness';
import { connectTcp, socketClosed, upgradeRequest } from '../helpers/raw-http';
import { withTimeout } from '../helpers/events';

const h = useHarness();

type Verdict = boolean | { status: number; message?: string; headers?: Record<string, string> };

describe('verifyClient', () => {
  it.each<[string, () => Verdict | Promise<Verdict>, number]>([
    ['true', () => true, 101],
    ['false', () => false, 401],
    ['a rejection object { status: 403 }', () => ({ status: 403, message: 'Forbidden' }), 403],
    ['a promise of true', () => new Promise((resolve) => setTimeout(() => resolve(true), 10)), 101],
    ['a promise of false', () => Promise.resolve(false), 401],
    ['a promise of { status: 429 }', () => Promise.resolve({ status: 429 }), 429],
    [
      'a throw',
      () => {
        throw new Error('verifier bug');
      },
      500,
    ],
    ['a rejected promise', () => Promise.reject(new Error('database down')), 500],
  ])('answering %s gives %i', async (_, verifyClient, status) => {
    const { port } = await h.server({ verifyClient });
    const response = await h.request(port, upgradeRequest());
    expect(response.status).toBe(status);
  });

  it('sends the headers of a rejection object', async () => {
    const { port } = await h.server({ verifyClient: () => ({ status: 429, headers: { 'Retry-After': '5' } }) });
    const response = await h.request(port, upgradeRequest());
    expect(response.headers['retry-after']).toBe('5');
  });

  it('is given the upgrade request', async () => {
    const seen: Array<string | undefined> = [];
    const { port } = await h.server({
      verifyClient: (request: http.IncomingMessage) => {
        seen.push(request.headers['x-token'] as string | undefined);
        return request.headers['x-token'] === 'secret';
      },
    });
    const accepted = await h.request(port, upgradeRequest({ headers: { 'X-Token': 'secret' } }));
    const refused = await h.request(port, upgradeRequest({ headers: { 'X-Token': 'wrong' } }));
    expect([accepted.status, refused.status, seen]).toEqual([101, 401, ['secret', 'wrong']]);
  });

  it('closes the socket after a refusal', async () => {
    const { port } = await h.server({ verifyClient: () => false });
    const response = await h.request(port, upgradeRequest());
    await expect(withTimeout(response.closed, 2000, 'the socket to close')).resolves.toBeUndefined();
  });

  it('emits no connection event for a refused client', async () => {
    const { port, url, events } = await h.server({ verifyClient: (r: http.IncomingMessage) => r.url === '/ok' });
    await h.request(port, upgradeRequest({ path: '/no' }));
    await h.ws(`${url}/ok`);
    expect(events.all('connection').map(([, request]) => request.url)).toEqual(['/ok']);
  });

  it('drops the client when verifyClient does not answer within handshakeTimeout', async () => {
    const { port, events } = await h.server({
      handshakeTimeout: 200,
      verifyClient: () => new Promise<boolean>(() => undefined),
    });
    const socket = await connectTcp(port, h.trackSocket);
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.write(upgradeRequest());
    await withTimeout(socketClosed(socket), 2000, 'the unverified client to be dropped');
    expect(received).not.toMatch(/^HTTP\/1\.1 101/);
    expect(events.count('connection')).toBe(0);
  });
});
