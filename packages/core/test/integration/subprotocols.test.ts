/**
 * RFC 6455 §1.9, §4.2.2 (/subprotocol/) and §11.3.4: the server picks at most one of the
 * subprotocols the client offered, and names it in Sec-WebSocket-Protocol.
 */
import type * as http from 'node:http';
import { useHarness } from '../helpers/harness';
import { upgradeRequest } from '../helpers/raw-http';

const h = useHarness();

const offer = (protocols: string): string => upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': protocols } });

describe('RFC 6455 §4.2.2: a list of protocols', () => {
  it.each<[string[], string, string | undefined]>([
    [['chat', 'superchat'], 'superchat, chat', 'chat'],
    [['chat', 'superchat'], 'superchat', 'superchat'],
    [['b', 'a'], 'a, b', 'b'],
    [['a'], 'x,a ,y', 'a'],
    [['chat'], 'other', undefined],
    [['chat'], 'chat2, ch', undefined],
  ])('server %j, client offers "%s": answers %s', async (protocols, offered, chosen) => {
    const { port } = await h.server({ protocols });
    const response = await h.request(port, offer(offered));
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-protocol']).toBe(chosen);
  });

  it('reads offers spread over two Sec-WebSocket-Protocol fields', async () => {
    const { port } = await h.server({ protocols: ['second'] });
    const response = await h.request(
      port,
      upgradeRequest({ headers: { 'Sec-WebSocket-Protocol': 'first\r\nSec-WebSocket-Protocol: second' } }),
    );
    expect(response.headers['sec-websocket-protocol']).toBe('second');
  });

  it('sends no Sec-WebSocket-Protocol when the client offered none', async () => {
    const { port } = await h.server({ protocols: ['chat'] });
    const response = await h.request(port, upgradeRequest());
    expect(response.status).toBe(101);
    expect(response.headers).not.toHaveProperty('sec-websocket-protocol');
  });

  it('exposes the choice as connection.protocol, and the ws client agrees', async () => {
    const { url, connection } = await h.server({ protocols: ['v2', 'v1'] });
    const client = await h.ws(url, ['v1', 'v2']);
    expect(client.ws.protocol).toBe('v2');
    expect((await connection()).connection.protocol).toBe('v2');
  });

  it("sets connection.protocol to '' when none was chosen", async () => {
    const { port, connection } = await h.server({ protocols: ['v2'] });
    await h.raw(port, { headers: { 'Sec-WebSocket-Protocol': 'v1' } });
    expect((await connection()).connection.protocol).toBe('');
  });
});

describe('RFC 6455 §4.2.2: a selector function', () => {
  it('is given the offers in the client order and the request', async () => {
    const calls: Array<[readonly string[], string | undefined]> = [];
    const { port } = await h.server({
      protocols: (offered: readonly string[], request: http.IncomingMessage) => {
        calls.push([offered, request.url]);
        return offered[1];
      },
    });
    const response = await h.request(
      port,
      upgradeRequest({ path: '/p', headers: { 'Sec-WebSocket-Protocol': 'x, y, z' } }),
    );
    expect(calls).toEqual([[['x', 'y', 'z'], '/p']]);
    expect(response.headers['sec-websocket-protocol']).toBe('y');
  });

  it('answers without a protocol when the function returns undefined', async () => {
    const { port } = await h.server({ protocols: () => undefined });
    const response = await h.request(port, offer('x'));
    expect(response.status).toBe(101);
    expect(response.headers).not.toHaveProperty('sec-websocket-protocol');
  });

  it('never answers a protocol the client did not offer', async () => {
    const { port } = await h.server({ protocols: () => 'evil' });
    const response = await h.request(port, offer('x, y'));
    expect(response.status).toBe(101);
    expect(response.headers).not.toHaveProperty('sec-websocket-protocol');
  });
});
