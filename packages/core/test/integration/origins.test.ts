/**
 * `allowedOrigins` (issue #12): an upgrade from an origin not on the list is refused with 403
 * before `verifyClient` runs. Browsers always send Origin (RFC 6455 §4.1, §10.2); a request
 * without one is not from a browser and is admitted by the list form.
 */
import type { IncomingMessage } from 'node:http';
import { Server } from '@ws/core';
import { useHarness } from '../helpers/harness';
import { readResponse, upgradeRequest, connectTcp } from '../helpers/raw-http';

const h = useHarness();

async function statusFor(port: number, headers: Record<string, string | null>): Promise<number> {
  return (await h.request(port, upgradeRequest({ headers }))).status;
}

describe('allowedOrigins as a list', () => {
  it.each([
    ['an allowed origin', 'https://app.example.com', 101],
    ['the same origin in other case, with its default port', 'HTTPS://App.Example.COM:443', 101],
    ['another origin', 'https://evil.test', 403],
    ['a look-alike host', 'https://app.example.com.evil.test', 403],
    ['another scheme', 'http://app.example.com', 403],
    ['an origin with a path', 'https://app.example.com/chat', 403],
    ['the opaque origin "null"', 'null', 403],
  ])('%s (%s): %d', async (_, origin, status) => {
    const { port } = await h.server({ allowedOrigins: ['https://app.example.com', 'http://localhost:3000'] });
    expect(await statusFor(port, { Origin: origin })).toBe(status);
  });

  it('admits a request without Origin (a non-browser client)', async () => {
    const { port } = await h.server({ allowedOrigins: ['https://app.example.com'] });
    expect(await statusFor(port, { Origin: null })).toBe(101);
  });

  it('refuses two Origin headers, even if one is allowed', async () => {
    const { port } = await h.server({ allowedOrigins: ['https://app.example.com'] });
    const request = upgradeRequest({ headers: { Origin: 'https://app.example.com' } }).replace(
      '\r\n\r\n',
      '\r\nOrigin: https://evil.test\r\n\r\n',
    );
    expect((await h.request(port, request)).status).toBe(403);
  });

  it('lets the ws client in with an allowed origin, and refuses it with 403 otherwise', async () => {
    const { url } = await h.server({ allowedOrigins: ['https://app.example.com'] });
    const client = await h.ws(url, undefined, { origin: 'https://app.example.com' });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    await expect(h.ws(url, undefined, { origin: 'https://evil.test' })).rejects.toThrow('unexpected response 403');
  });

  it('refuses before verifyClient runs, with a fixed body', async () => {
    const verifyClient = jest.fn(() => true);
    const { port } = await h.server({ allowedOrigins: ['https://app.example.com'], verifyClient });
    const socket = await connectTcp(port, h.trackSocket);
    socket.write(upgradeRequest({ headers: { Origin: 'https://evil.test' } }));
    const response = await readResponse(socket);
    expect(response.status).toBe(403);
    expect(response.rest.toString()).toBe('Origin not allowed');
    expect(verifyClient).not.toHaveBeenCalled();
  });

  it('throws at construction on an entry that is not an origin', () => {
    expect(() => new Server({ noServer: true, allowedOrigins: ['app.example.com'] })).toThrow(TypeError);
    expect(() => new Server({ noServer: true, allowedOrigins: 'https://a.test' as never })).toThrow(TypeError);
  });
});

describe('allowedOrigins as a function', () => {
  it('gets the Origin header as sent (undefined without one) and the request; false gives 403', async () => {
    const calls: Array<[string | undefined, string | undefined]> = [];
    const { port } = await h.server({
      allowedOrigins: (origin: string | undefined, request: IncomingMessage) => {
        calls.push([origin, request.url]);
        return origin === undefined || origin.endsWith('.example.com');
      },
    });
    expect(await statusFor(port, { Origin: 'https://a.example.com' })).toBe(101);
    expect(await statusFor(port, { Origin: 'https://a.evil.test' })).toBe(403);
    expect(await statusFor(port, { Origin: null })).toBe(101);
    expect(calls).toEqual([
      ['https://a.example.com', '/'],
      ['https://a.evil.test', '/'],
      [undefined, '/'],
    ]);
  });

  it('answers 500 and emits error when it throws; the server keeps serving', async () => {
    const failure = new Error('origin lookup failed');
    let fail = true;
    const { port, events } = await h.server({
      allowedOrigins: () => {
        if (fail) throw failure;
        return true;
      },
    });
    expect(await statusFor(port, { Origin: 'https://a.test' })).toBe(500);
    expect((await events.nth('error'))[0]).toBe(failure);
    fail = false;
    expect(await statusFor(port, { Origin: 'https://a.test' })).toBe(101);
  });
});
