import { randomBytes } from 'node:crypto';
import type { PerMessageDeflateOptions } from 'ws';
import type WebSocket from 'ws';
import type { Connection } from '@ws/core';
import { deflate, type DeflateOptions } from '@ws/deflate';
import { closeClient, connect, nextMessages, startEchoServer, type TestServer } from './helpers/server';
import { sample } from './helpers/peer-zlib';

/**
 * permessage-deflate against the `ws` package as the client, over real sockets: every
 * parameter, each side's window from 8 to 15, text and binary, fragmented, interleaved with
 * pings, many messages on one context, and 16 MiB messages.
 */

const PMD = 'permessage-deflate';

/** The response header expected for an agreed configuration. */
function header(sNct: boolean, cNct: boolean, sBits: number | null, cBits: number | null): string {
  let out = PMD;
  if (sNct) out += '; server_no_context_takeover';
  if (cNct) out += '; client_no_context_takeover';
  if (sBits !== null) out += `; server_max_window_bits=${sBits}`;
  if (cBits !== null) out += `; client_max_window_bits=${cBits}`;
  return out;
}

/**
 * The messages a connection trades: repeats across messages (takeover at work), repeats 300
 * bytes back (past a 256-byte window), random binary, a tiny and an empty message.
 */
function messages(): (string | Buffer)[] {
  const block = randomBytes(300);
  const text = sample(3000).toString('latin1');
  return [
    text,
    text,
    Buffer.concat([block, block, block]),
    randomBytes(2000),
    'é☃ small',
    '',
    Buffer.concat([block, randomBytes(100), block]),
  ];
}

async function pong(ws: WebSocket): Promise<void> {
  await new Promise<void>((resolve) => {
    ws.once('pong', () => resolve());
    ws.ping('interleaved');
  });
}

/**
 * Sends every message (a ping in the middle), then one message in four fragments with pings
 * between them, and checks each echo arrives intact and in order.
 */
async function exchange(ws: WebSocket): Promise<void> {
  const sent = messages();
  const fragments = [sample(1500, 3), sample(10, 4), sample(0), sample(4000, 5)];
  const echoes = nextMessages(ws, sent.length + 1);
  sent.forEach((message, i) => {
    ws.send(message, { binary: Buffer.isBuffer(message) });
    if (i === 2) ws.ping();
  });
  for (let i = 0; i < fragments.length; i++) {
    ws.send(fragments[i], { binary: true, fin: i === fragments.length - 1 });
    if (i < fragments.length - 1) await pong(ws);
  }
  const got = await echoes;
  expect(got).toEqual([...sent, Buffer.concat(fragments)]);
}

async function withServer(options: DeflateOptions, run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startEchoServer({ extensions: [deflate(options)] });
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const flagSets: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const windowPairs: [number, number][] = [
  [15, 15],
  [14, 14],
  [13, 13],
  [12, 12],
  [11, 11],
  [10, 10],
  [9, 9],
  [8, 8],
  [8, 15],
  [15, 8],
];
const serverDriven = flagSets.flatMap(([sNct, cNct]) => windowPairs.map(([s, c]) => [sNct, cNct, s, c] as const));

describe('server options against a ws client (RFC 7692 §7.1)', () => {
  it.each(serverDriven)(
    'serverNoContextTakeover=%s clientNoContextTakeover=%s serverMaxWindowBits=%d clientMaxWindowBits=%d',
    async (sNct, cNct, sBits, cBits) => {
      const options = {
        threshold: 0,
        serverNoContextTakeover: sNct,
        clientNoContextTakeover: cNct,
        serverMaxWindowBits: sBits,
        clientMaxWindowBits: cBits,
      };
      await withServer(options, async ({ url, server }) => {
        const connected = new Promise<Connection>((resolve) => server.once('connection', resolve));
        const { ws, responseExtensions } = await connect(url, { threshold: 0 });
        const expected = header(sNct, cNct, sBits < 15 ? sBits : null, cBits < 15 ? cBits : null);
        expect(responseExtensions).toBe(expected);
        expect(ws.extensions).toBe(PMD);
        expect((await connected).extensions).toBe(expected);
        await exchange(ws);
        await closeClient(ws);
      });
    },
  );
});

const clientDriven: [string, PerMessageDeflateOptions, string][] = [
  ['server_no_context_takeover', { serverNoContextTakeover: true }, header(true, false, null, null)],
  ['client_no_context_takeover', { clientNoContextTakeover: true }, header(false, true, null, null)],
  ['both flags', { serverNoContextTakeover: true, clientNoContextTakeover: true }, header(true, true, null, null)],
  ...[8, 9, 10, 11, 12, 13, 14, 15].map((bits): [string, PerMessageDeflateOptions, string] => [
    `server_max_window_bits=${bits}`,
    { serverMaxWindowBits: bits },
    header(false, false, bits, null),
  ]),
  ...[8, 9, 10, 11, 12, 13, 14, 15].map((bits): [string, PerMessageDeflateOptions, string] => [
    `client_max_window_bits=${bits}`,
    { clientMaxWindowBits: bits },
    header(false, false, null, bits < 15 ? bits : null),
  ]),
  [
    'everything at 8',
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 8, clientMaxWindowBits: 8 },
    header(true, true, 8, 8),
  ],
];

describe('ws client offers against a server with windows of 15', () => {
  it.each(clientDriven)('%s', async (_label, offer, expected) => {
    await withServer({ threshold: 0, serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, async ({ url }) => {
      const { ws, responseExtensions } = await connect(url, { threshold: 0, ...offer });
      expect(responseExtensions).toBe(expected);
      await exchange(ws);
      await closeClient(ws);
    });
  });
});

const againstDefaults: [string, PerMessageDeflateOptions, string][] = [
  ["ws's default offer", {}, header(false, false, 12, 12)],
  ['a smaller server window', { serverMaxWindowBits: 10 }, header(false, false, 10, 12)],
  ['a smaller client window', { clientMaxWindowBits: 9 }, header(false, false, 12, 9)],
  ['a larger client window', { clientMaxWindowBits: 14 }, header(false, false, 12, 12)],
  // ws offers no client_max_window_bits when given false (its types say number only).
  ['no client_max_window_bits', { clientMaxWindowBits: false as unknown as number }, header(false, false, 12, null)],
  ['server_no_context_takeover', { serverNoContextTakeover: true }, header(true, false, 12, 12)],
];

describe('ws client offers against the default windows of 12 (as Python websockets)', () => {
  it.each(againstDefaults)('%s', async (_label, offer, expected) => {
    await withServer({ threshold: 0 }, async ({ url }) => {
      const { ws, responseExtensions } = await connect(url, { threshold: 0, ...offer });
      expect(responseExtensions).toBe(expected);
      await exchange(ws);
      await closeClient(ws);
    });
  });
});

describe('declined offers: the handshake goes on without compression', () => {
  it('a server that requires client_max_window_bits declines an offer without it', async () => {
    await withServer({ clientMaxWindowBits: 10, requireClientMaxWindowBits: true }, async ({ url }) => {
      // ws offers no client_max_window_bits when given false (its types say number only).
      const { ws, responseExtensions } = await connect(url, { clientMaxWindowBits: false as unknown as number });
      expect(responseExtensions).toBeUndefined();
      expect(ws.extensions).toBe('');
      await exchange(ws);
      await closeClient(ws);
    });
  });

  it('a client without permessage-deflate talks plainly', async () => {
    await withServer({ threshold: 0 }, async ({ url }) => {
      const { ws, responseExtensions } = await connect(url, false);
      expect(responseExtensions).toBeUndefined();
      await exchange(ws);
      await closeClient(ws);
    });
  });
});

describe('volume', () => {
  it('200 messages in a row on one context, both ways', async () => {
    await withServer({ threshold: 0 }, async ({ url }) => {
      const { ws } = await connect(url, { threshold: 0 });
      const sent = Array.from({ length: 200 }, (_, i) =>
        i % 3 === 0 ? sample(100 + i * 10, i) : sample(100 + i * 10, i).toString('latin1'),
      );
      const echoes = nextMessages(ws, sent.length);
      for (const message of sent) ws.send(message);
      expect(await echoes).toEqual(sent);
      await closeClient(ws);
    });
  });

  // zlib level 1 on both sides keeps these to a second; the level is passed through as is.
  const fast = { zlibDeflateOptions: { level: 1 } };

  it.each<[string, DeflateOptions]>([
    ['with context takeover', fast],
    [
      'without context takeover, windows of 8',
      {
        ...fast,
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 8,
        clientMaxWindowBits: 8,
      },
    ],
  ])('16 MiB text and binary messages, %s', async (_label, options) => {
    await withServer(options, async ({ url }) => {
      const { ws } = await connect(url, fast);
      const binary = Buffer.concat([sample(12 << 20, 1), randomBytes(4 << 20)]);
      const text = sample(16 << 20, 2).toString('latin1');
      const echoes = nextMessages(ws, 2);
      ws.send(binary);
      ws.send(text);
      const [gotBinary, gotText] = await echoes;
      expect(Buffer.isBuffer(gotBinary) && gotBinary.equals(binary)).toBe(true);
      expect(gotText === text).toBe(true);
      await closeClient(ws);
    });
  });

  it('a 16 MiB message sent in 64 fragments with pings between', async () => {
    await withServer(fast, async ({ url }) => {
      const { ws } = await connect(url, fast);
      const message = sample(16 << 20, 9);
      const echo = nextMessages(ws, 1);
      const size = message.length / 64;
      for (let i = 0; i < 64; i++) {
        ws.send(message.subarray(i * size, (i + 1) * size), { binary: true, fin: i === 63 });
        if (i % 16 === 0) await pong(ws);
      }
      const [got] = await echo;
      expect(Buffer.isBuffer(got) && got.equals(message)).toBe(true);
      await closeClient(ws);
    });
  });
});
