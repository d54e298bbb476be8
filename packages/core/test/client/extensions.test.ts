/**
 * Extensions on the client (RFC 6455 §9.1): the request carries each extension's offers, the
 * response may name only offered extensions, each once, and each extension's `accept` has the
 * last word on its parameters; the accepted codecs then transform every message both ways.
 */
import { HandshakeError, connect, type Extension } from '@ws/core';
import { useClients } from '../helpers/client';
import { useHarness } from '../helpers/harness';
import { type RawPeer, useRawServers } from '../helpers/raw-ws-server';
import { xorClientExtension } from '../helpers/xor-client-extension';
import { xorExtension } from '../helpers/xor-extension';

const h = useHarness();
const raw = useRawServers();
const c = useClients();

async function refusal(answer: (peer: RawPeer) => void, extensions: readonly Extension[]): Promise<HandshakeError> {
  const server = await raw.start(answer);
  const outcome = await connect(server.url, { extensions }).then(
    () => new Error('connect() resolved'),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(HandshakeError);
  return outcome as HandshakeError;
}

describe('with our Server', () => {
  it.each([false, true])(
    'negotiates x-xor and transforms messages both ways (server codec async: %s)',
    async (async) => {
      const serverSide = xorExtension({ async });
      const clientSide = xorClientExtension(7);
      const { url, server } = await h.server({ extensions: [serverSide] });
      server.on('connection', (connection) => {
        connection.on('message', (data, isBinary) => connection.send(data, { binary: isBinary }));
      });
      const { connection, events } = await c.connect(url, { extensions: [clientSide] });
      expect(connection.extensions).toBe('x-xor; key=7');
      for (let i = 0; i < 10; i++) connection.send(`message ${i}`);
      connection.send(Buffer.from([1, 2, 3]), { compress: false });
      for (let i = 0; i < 10; i++) expect(await events.nth('message', i)).toEqual([`message ${i}`, false]);
      expect(await events.nth('message', 10)).toEqual([Buffer.from([1, 2, 3]), true]);
      expect(clientSide.stats.encoded).toBe(11);
      expect(clientSide.stats.decoded).toBe(11);
      expect(serverSide.stats.decoded).toBe(11);
    },
  );

  it('goes on without an extension the server does not know', async () => {
    const { url } = await h.server();
    const { connection } = await c.connect(url, { extensions: [xorClientExtension()] });
    expect(connection.extensions).toBe('');
  });
});

describe('the offer and the response', () => {
  it('sends every offer in Sec-WebSocket-Extensions', async () => {
    let offered: string | undefined;
    const server = await raw.start((peer) => {
      offered = peer.header('sec-websocket-extensions');
      peer.accept(['Sec-WebSocket-Extensions: x-xor; key=5']);
    });
    const { connection } = await c.connect(server.url, { extensions: [xorClientExtension(5)] });
    expect(offered).toBe('x-xor; key=5');
    expect(connection.extensions).toBe('x-xor; key=5');
  });

  it.each([
    ['an extension not offered', 'permessage-deflate', /"permessage-deflate", which was not offered/],
    ['the same extension twice', 'x-xor; key=7, x-xor; key=7', /"x-xor" twice/],
    ['a malformed header', 'x-xor; =7', /malformed/],
    ['parameters the extension refuses', 'x-xor; key=9', /x-xor: the response must carry key=7/],
  ])('refuses %s with ERR_WS_EXTENSION', async (_what, header, message) => {
    const error = await refusal(
      (peer) => peer.accept([`Sec-WebSocket-Extensions: ${header}`]),
      [xorClientExtension(7)],
    );
    expect(error.code).toBe('ERR_WS_EXTENSION');
    expect(error.message).toMatch(message);
  });

  it('calls accept only for extensions the response names, after the name checks', async () => {
    const extension = xorClientExtension(7);
    await refusal((peer) => peer.accept(['Sec-WebSocket-Extensions: x-other, x-xor; key=7']), [extension]);
    expect(extension.stats.responses).toEqual([]);
  });
});

describe('extension options', () => {
  it('refuses an extension without a client side', async () => {
    await expect(connect('ws://127.0.0.1:1', { extensions: [xorExtension()] })).rejects.toThrow(
      /extension x-xor has no client side/,
    );
  });

  it('refuses two extensions claiming the same RSV bit', async () => {
    const other = { ...xorClientExtension(), name: 'x-other' };
    await expect(connect('ws://127.0.0.1:1', { extensions: [xorClientExtension(), other] })).rejects.toThrow(
      /already claimed/,
    );
  });
});
