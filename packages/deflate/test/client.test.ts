import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type PerMessageDeflateOptions } from 'ws';
import { connect, formatExtension, Opcode, parseExtensionHeader, type Connection } from '@ws/core';
import { useRawServers } from '../../core/test/helpers/raw-ws-server';
import { deflate, type DeflateOptions } from '@ws/deflate';
import { startFrameTap, type FrameTap, type TappedFrame } from './helpers/frame-tap';
import { sample } from './helpers/peer-zlib';
import { startEchoServer } from './helpers/server';

/**
 * Our client with permessage-deflate over real sockets, against our server and against the
 * `ws` server, through a relay that reads the frame headers on the wire: the negotiated
 * parameters, RSV1 on compressed messages (and only on them), content intact both ways,
 * 1 MiB messages, context takeover on and off in each direction.
 */

const PMD = 'permessage-deflate';
const MiB = 1024 * 1024;

/** Echoes of `messages`, in order, from `connection`. */
function nextMessages(connection: Connection, count: number): Promise<(string | Buffer)[]> {
  return new Promise((resolve, reject) => {
    const got: (string | Buffer)[] = [];
    const onMessage = (data: string | Buffer): void => {
      got.push(data);
      if (got.length === count) {
        connection.off('message', onMessage);
        resolve(got);
      }
    };
    connection.on('message', onMessage);
    connection.once('close', (code) => reject(new Error(`closed with ${code} after ${got.length} messages`)));
  });
}

function closed(connection: Connection): Promise<[number, boolean]> {
  return new Promise((resolve) => connection.once('close', (code, _reason, wasClean) => resolve([code, wasClean])));
}

/** The first frame of each data message, in order (continuations and control frames left out). */
function messageStarts(frames: readonly TappedFrame[]): TappedFrame[] {
  return frames.filter((frame) => frame.opcode === Opcode.Text || frame.opcode === Opcode.Binary);
}

/**
 * Sends two copies of random bytes (takeover shows in the second), a compressible text, a
 * message too small to compress, and checks the echoes; then checks on the wire which
 * messages carried RSV1 each way and what takeover did to the second copy's size.
 */
async function exchange(
  connection: Connection,
  tap: FrameTap,
  expect_: { compressed: boolean; clientTakeover: boolean; serverTakeover: boolean; tinyDown?: boolean },
): Promise<void> {
  // 200 random bytes: incompressible alone, and within even a 256-byte window for the copy.
  const block = randomBytes(200);
  const sent: (string | Buffer)[] = [block, Buffer.from(block), sample(3000).toString('latin1'), 'tiny'];
  const echoes = nextMessages(connection, sent.length);
  const before = { up: messageStarts(tap.toServer).length, down: messageStarts(tap.toClient).length };
  for (const message of sent) connection.send(message, { binary: Buffer.isBuffer(message) });
  expect(await echoes).toEqual(sent);
  const up = messageStarts(tap.toServer).slice(before.up);
  const down = messageStarts(tap.toClient).slice(before.down);
  expect(up).toHaveLength(sent.length);
  expect(down).toHaveLength(sent.length);
  // Client frames are masked, server frames are not (RFC 6455 §5.1).
  expect(up.every((frame) => frame.masked)).toBe(true);
  expect(down.every((frame) => !frame.masked)).toBe(true);
  // 'tiny' is below every threshold used here: never compressed by us (`ws` applies its
  // threshold only without context takeover, hence tinyDown).
  expect(up.map((frame) => frame.rsv1)).toEqual([...Array(3).fill(expect_.compressed), false]);
  expect(down.map((frame) => frame.rsv1)).toEqual([...Array(3).fill(expect_.compressed), expect_.tinyDown ?? false]);
  if (!expect_.compressed) return;
  // With takeover the second copy is a back-reference to the first: a few bytes. Without, it
  // costs what the first did.
  const shrinks = (frames: TappedFrame[]): boolean => frames[1].length * 4 < frames[0].length;
  expect(shrinks(up)).toBe(expect_.clientTakeover);
  expect(shrinks(down)).toBe(expect_.serverTakeover);
}

/** 1 MiB each way, text and binary. */
async function bigMessages(connection: Connection): Promise<void> {
  const sent = [sample(MiB, 3).toString('latin1'), randomBytes(MiB)];
  const echoes = nextMessages(connection, sent.length);
  for (const message of sent) connection.send(message);
  const got = await echoes;
  expect(got[0]).toBe(sent[0]);
  expect(Buffer.isBuffer(got[1]) && got[1].equals(sent[1] as Buffer)).toBe(true);
}

/**
 * Which windows each side compressed with, seen on the wire: one message of 6000 random bytes
 * sent twice in a row. A window of 12 bits (4 KiB) cannot reach 6000 bytes back, so the copy
 * costs what the first did; one of 13 bits or more (zlib keeps 262 bytes of it for lookahead,
 * still more than 6000) turns the copy into a few back-references.
 */
async function windows(connection: Connection, tap: FrameTap, bits: { client: number; server: number }): Promise<void> {
  const block = randomBytes(6000);
  const message = Buffer.concat([block, block]);
  const echo = nextMessages(connection, 1);
  const before = { up: messageStarts(tap.toServer).length, down: messageStarts(tap.toClient).length };
  connection.send(message, { binary: true });
  const [got] = await echo;
  expect(Buffer.isBuffer(got) && got.equals(message)).toBe(true);
  const [up] = messageStarts(tap.toServer).slice(before.up);
  const [down] = messageStarts(tap.toClient).slice(before.down);
  expect([up.rsv1, down.rsv1]).toEqual([true, true]);
  const reached = (frame: TappedFrame): boolean => frame.length < 1.5 * block.length;
  expect({ up: reached(up), down: reached(down) }).toEqual({ up: bits.client >= 13, down: bits.server >= 13 });
}

/** The response header expected for an agreement, in the order our server writes it. */
function header(sNct: boolean, cNct: boolean, sBits: number | null, cBits: number | null): string {
  let out = PMD;
  if (sNct) out += '; server_no_context_takeover';
  if (cNct) out += '; client_no_context_takeover';
  if (sBits !== null) out += `; server_max_window_bits=${sBits}`;
  if (cBits !== null) out += `; client_max_window_bits=${cBits}`;
  return out;
}

const flagSets: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const windowSizes = [15, 12, 8];
const clientCombos = flagSets.flatMap(([sNct, cNct]) =>
  windowSizes.flatMap((sBits) => windowSizes.map((cBits) => [sNct, cNct, sBits, cBits] as const)),
);

/** Our server's window options, and the windows it compresses within and asks of clients. */
const serverWindows: [string, DeflateOptions, { server: number; client: number }][] = [
  ['defaults', {}, { server: 12, client: 12 }],
  ['windows of 15', { serverMaxWindowBits: 15, clientMaxWindowBits: 15 }, { server: 15, client: 15 }],
];

describe.each(serverWindows)(
  'our client against our server (%s), every offer our options can make',
  (_name, serverOptions, limits) => {
    it.each(clientCombos)(
      'client serverNoContextTakeover=%s clientNoContextTakeover=%s serverMaxWindowBits=%d clientMaxWindowBits=%d',
      async (sNct, cNct, sBits, cBits) => {
        const server = await startEchoServer({ extensions: [deflate({ threshold: 16, ...serverOptions })] });
        const tap = await startFrameTap(Number(new URL(server.url).port));
        try {
          const options: DeflateOptions = {
            threshold: 16,
            serverNoContextTakeover: sNct,
            clientNoContextTakeover: cNct,
            serverMaxWindowBits: sBits,
            clientMaxWindowBits: cBits,
          };
          const connection = await connect(`ws://127.0.0.1:${tap.port}/`, { extensions: [deflate(options)] });
          // RFC 7692 §7.1.2: the client asks for server_max_window_bits=N only below 15; the server
          // answers the smaller of that and its own limit, and states it whenever asked or below
          // 15. client_max_window_bits is always offered (=N below 15, bare at 15): the server
          // answers the smaller of N and its limit, when below 15.
          const serverBits = Math.min(sBits, limits.server);
          const clientBits = Math.min(cBits, limits.client);
          expect(connection.extensions).toBe(
            header(sNct, cNct, sBits < 15 || serverBits < 15 ? serverBits : null, clientBits < 15 ? clientBits : null),
          );
          await exchange(connection, tap, { compressed: true, clientTakeover: !cNct, serverTakeover: !sNct });
          await windows(connection, tap, { server: serverBits, client: clientBits });
          const done = closed(connection);
          connection.close(1000, 'done');
          expect(await done).toEqual([1000, true]);
        } finally {
          await tap.close();
          await server.close();
        }
      },
    );
  },
);

describe('our default client against our default server', () => {
  it('agrees on windows of 12 bits both ways, and each side compresses within them', async () => {
    const server = await startEchoServer({ extensions: [deflate()], maxPayload: 4 * MiB });
    const tap = await startFrameTap(Number(new URL(server.url).port));
    try {
      const connection = await connect(`ws://127.0.0.1:${tap.port}/`, { extensions: [deflate()], maxPayload: 4 * MiB });
      expect(connection.extensions).toBe(`${PMD}; server_max_window_bits=12; client_max_window_bits=12`);
      await windows(connection, tap, { server: 12, client: 12 });
      await bigMessages(connection);
      const done = closed(connection);
      connection.close(1000);
      expect(await done).toEqual([1000, true]);
    } finally {
      await tap.close();
      await server.close();
    }
  });

  it('with threshold 16: takeover both ways within the 12-bit windows', async () => {
    const server = await startEchoServer({ extensions: [deflate({ threshold: 16 })] });
    const tap = await startFrameTap(Number(new URL(server.url).port));
    try {
      const connection = await connect(`ws://127.0.0.1:${tap.port}/`, { extensions: [deflate({ threshold: 16 })] });
      expect(connection.extensions).toBe(header(false, false, 12, 12));
      await exchange(connection, tap, { compressed: true, clientTakeover: true, serverTakeover: true });
      await windows(connection, tap, { server: 12, client: 12 });
      connection.close();
    } finally {
      await tap.close();
      await server.close();
    }
  });

  it('a server configured for windows of 15 answers no window, and both sides use 15', async () => {
    const server = await startEchoServer({
      extensions: [deflate({ serverMaxWindowBits: 15, clientMaxWindowBits: 15 })],
    });
    const tap = await startFrameTap(Number(new URL(server.url).port));
    try {
      const connection = await connect(`ws://127.0.0.1:${tap.port}/`, { extensions: [deflate()] });
      expect(connection.extensions).toBe(PMD);
      await windows(connection, tap, { server: 15, client: 15 });
      connection.close();
    } finally {
      await tap.close();
      await server.close();
    }
  });
});

describe('our client against our server: the server decides', () => {
  // Windows of 15 where the point is one takeover flag: the response then carries only it.
  const wide: DeflateOptions = { serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  it.each<[string, DeflateOptions, string, boolean, boolean]>([
    ['defaults: windows of 12 bits', {}, header(false, false, 12, 12), true, true],
    [
      'server without context takeover',
      { ...wide, serverNoContextTakeover: true },
      header(true, false, null, null),
      false,
      true,
    ],
    [
      'client without context takeover',
      { ...wide, clientNoContextTakeover: true },
      header(false, true, null, null),
      true,
      false,
    ],
    [
      'server without context takeover, default windows',
      { serverNoContextTakeover: true },
      header(true, false, 12, 12),
      false,
      true,
    ],
    [
      'small windows both ways',
      { serverMaxWindowBits: 9, clientMaxWindowBits: 10 },
      header(false, false, 9, 10),
      true,
      true,
    ],
  ])('%s', async (_label, serverOptions, expected, serverTakeover, clientTakeover) => {
    const server = await startEchoServer({ extensions: [deflate({ threshold: 16, ...serverOptions })] });
    const tap = await startFrameTap(Number(new URL(server.url).port));
    try {
      const connection = await connect(`ws://127.0.0.1:${tap.port}/`, { extensions: [deflate({ threshold: 16 })] });
      expect(connection.extensions).toBe(expected);
      await exchange(connection, tap, { compressed: true, clientTakeover, serverTakeover });
      // Each side compresses within the window the response states (15 when it states none).
      const agreed = acceptedParams(expected);
      const bits = (name: string): number => Number(agreed.get(name) ?? 15);
      await windows(connection, tap, {
        server: bits('server_max_window_bits'),
        client: bits('client_max_window_bits'),
      });
      await bigMessages(connection);
      connection.close();
    } finally {
      await tap.close();
      await server.close();
    }
  });

  it('a server without deflate: the client talks plainly', async () => {
    const server = await startEchoServer({});
    const tap = await startFrameTap(Number(new URL(server.url).port));
    try {
      const connection = await connect(`ws://127.0.0.1:${tap.port}/`, { extensions: [deflate({ threshold: 16 })] });
      expect(connection.extensions).toBe('');
      await exchange(connection, tap, { compressed: false, clientTakeover: false, serverTakeover: false });
      connection.close();
    } finally {
      await tap.close();
      await server.close();
    }
  });

  it('1 MiB messages with context takeover both ways', async () => {
    const server = await startEchoServer({ extensions: [deflate()], maxPayload: 4 * MiB });
    try {
      const connection = await connect(server.url, { extensions: [deflate()], maxPayload: 4 * MiB });
      await bigMessages(connection);
      await bigMessages(connection);
      connection.close();
    } finally {
      await server.close();
    }
  });

  it('the client bomb guard: an inflated message past the client maxPayload closes with 1009', async () => {
    const server = await startEchoServer({ extensions: [deflate()], maxPayload: 4 * MiB });
    try {
      const serverSide = new Promise<Connection>((resolve) => server.server.once('connection', resolve));
      const connection = await connect(server.url, { extensions: [deflate()], maxPayload: 64 * 1024 });
      const errors: Error[] = [];
      connection.on('error', (error) => errors.push(error));
      const peer = await serverSide;
      const peerClosed = closed(peer);
      const done = closed(connection);
      // Sent compressed: about 1 KiB on the wire (under maxPayload), 1 MiB once inflated.
      peer.send(Buffer.alloc(MiB), { binary: true });
      await done;
      expect(errors.map((error) => (error as { code?: string }).code)).toEqual(['WS_ERR_MESSAGE_TOO_BIG']);
      // The client's close frame carried 1009 (RFC 6455 §7.4.1).
      expect((await peerClosed)[0]).toBe(1009);
    } finally {
      await server.close();
    }
  });
});

/** A `ws` server echoing every message, with `perMessageDeflate` options. */
async function startWsServer(
  perMessageDeflate: PerMessageDeflateOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate, maxPayload: 4 * MiB });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  return {
    port: (wss.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** The parameters of a one-element Sec-WebSocket-Extensions value, by name. */
function acceptedParams(header: string): Map<string, string | true> {
  const parsed = parseExtensionHeader(header);
  if (parsed === null || parsed.length !== 1 || parsed[0].name !== PMD) throw new Error(`not one ${PMD}: ${header}`);
  return new Map(parsed[0].params.map(({ name, value }) => [name, value]));
}

/** ws writes the response parameters as `name=value` in the order of its own code. */
const wsServerCombos: [string, PerMessageDeflateOptions, DeflateOptions, boolean, boolean][] = [
  ['defaults', {}, {}, true, true],
  ['server_no_context_takeover asked by the client', {}, { serverNoContextTakeover: true }, false, true],
  ['client_no_context_takeover offered by the client', {}, { clientNoContextTakeover: true }, true, false],
  ['both flags from the server', { serverNoContextTakeover: true, clientNoContextTakeover: true }, {}, false, false],
  ['server window 10 from the server', { serverMaxWindowBits: 10 }, {}, true, true],
  ['client window 9 from the server', { clientMaxWindowBits: 9 }, {}, true, true],
  ['server window 8 asked by the client', {}, { serverMaxWindowBits: 8 }, true, true],
  ['client window 11 offered by the client', {}, { clientMaxWindowBits: 11 }, true, true],
  [
    'everything at once',
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
    { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 12 },
    false,
    false,
  ],
];

describe('our client against the ws server with perMessageDeflate', () => {
  it.each(wsServerCombos)('%s', async (_label, wsOptions, clientOptions, serverTakeover, clientTakeover) => {
    const server = await startWsServer({ threshold: 16, ...wsOptions });
    const tap = await startFrameTap(server.port);
    try {
      const connection = await connect(`ws://127.0.0.1:${tap.port}/`, {
        extensions: [deflate({ threshold: 16, ...clientOptions })],
        maxPayload: 4 * MiB,
      });
      expect(connection.extensions).toMatch(/^permessage-deflate/);
      await exchange(connection, tap, { compressed: true, clientTakeover, serverTakeover, tinyDown: serverTakeover });
      await bigMessages(connection);
      const done = closed(connection);
      connection.close(1000);
      expect(await done).toEqual([1000, true]);
    } finally {
      await tap.close();
      await server.close();
    }
  });

  const bools = [false, true];
  const wsConfigs = bools.flatMap((sNct) =>
    bools.flatMap((cNct) =>
      [undefined, 10].flatMap((sBits) => [undefined, 9].map((cBits) => [sNct, cNct, sBits, cBits] as const)),
    ),
  );
  it.each(wsConfigs)(
    'ws serverNoContextTakeover=%s clientNoContextTakeover=%s serverMaxWindowBits=%s clientMaxWindowBits=%s, our default offer',
    async (sNct, cNct, sBits, cBits) => {
      const wsOptions: PerMessageDeflateOptions = { serverNoContextTakeover: sNct, clientNoContextTakeover: cNct };
      if (sBits !== undefined) wsOptions.serverMaxWindowBits = sBits;
      if (cBits !== undefined) wsOptions.clientMaxWindowBits = cBits;
      const server = await startWsServer({ threshold: 16, ...wsOptions });
      const tap = await startFrameTap(server.port);
      try {
        const connection = await connect(`ws://127.0.0.1:${tap.port}/`, { extensions: [deflate({ threshold: 16 })] });
        const agreed = acceptedParams(connection.extensions);
        expect(agreed.has('server_no_context_takeover')).toBe(sNct);
        expect(agreed.has('client_no_context_takeover')).toBe(cNct);
        expect(agreed.get('server_max_window_bits')).toBe(sBits === undefined ? undefined : String(sBits));
        expect(agreed.get('client_max_window_bits')).toBe(cBits === undefined ? undefined : String(cBits));
        await exchange(connection, tap, {
          compressed: true,
          clientTakeover: !cNct,
          serverTakeover: !sNct,
          tinyDown: !sNct,
        });
        connection.close();
      } finally {
        await tap.close();
        await server.close();
      }
    },
  );

  const offers = bools.flatMap((sNct) =>
    bools.flatMap((cNct) =>
      [15, 10, 8].flatMap((sBits) => [15, 9].map((cBits) => [sNct, cNct, sBits, cBits] as const)),
    ),
  );
  it.each(offers)(
    'our offer serverNoContextTakeover=%s clientNoContextTakeover=%s serverMaxWindowBits=%d clientMaxWindowBits=%d, ws defaults',
    async (sNct, cNct, sBits, cBits) => {
      const server = await startWsServer({ threshold: 16 });
      const tap = await startFrameTap(server.port);
      try {
        const options = { threshold: 16, serverNoContextTakeover: sNct, clientNoContextTakeover: cNct };
        const connection = await connect(`ws://127.0.0.1:${tap.port}/`, {
          extensions: [deflate({ ...options, serverMaxWindowBits: sBits, clientMaxWindowBits: cBits })],
        });
        const agreed = acceptedParams(connection.extensions);
        expect(agreed.has('server_no_context_takeover')).toBe(sNct);
        expect(agreed.get('server_max_window_bits')).toBe(sBits < 15 ? String(sBits) : undefined);
        await exchange(connection, tap, {
          compressed: true,
          clientTakeover: !cNct,
          serverTakeover: !sNct,
          tinyDown: !sNct,
        });
        connection.close();
      } finally {
        await tap.close();
        await server.close();
      }
    },
  );

  it('a ws server that can accept no offer refuses the handshake (400); without deflate the client connects', async () => {
    // ws declines an offer whose server_max_window_bits is below its own serverMaxWindowBits,
    // and answers 400 rather than going on without the extension.
    const server = await startWsServer({ threshold: 16, serverMaxWindowBits: 12 });
    try {
      await expect(
        connect(`ws://127.0.0.1:${server.port}/`, { extensions: [deflate({ serverMaxWindowBits: 10 })] }),
      ).rejects.toMatchObject({ code: 'ERR_WS_STATUS' });
      const connection = await connect(`ws://127.0.0.1:${server.port}/`, {
        extensions: [deflate({ serverMaxWindowBits: 12 })],
      });
      expect(connection.extensions).toBe('permessage-deflate; server_max_window_bits=12');
      connection.close();
    } finally {
      await server.close();
    }
  });
});

describe('the default offer on the wire', () => {
  const raw = useRawServers();

  it('asks for no window: client_max_window_bits without a value, and nothing else', async () => {
    const server = await raw.start((peer) => peer.accept([`Sec-WebSocket-Extensions: ${PMD}`]));
    const connection = await connect(server.url, { extensions: [deflate()] });
    expect(server.peers[0].header('sec-websocket-extensions')).toBe(`${PMD}; client_max_window_bits`);
    expect(connection.extensions).toBe(PMD);
    connection.close();
  });

  it('asks for the windows given, even when they equal the defaults', async () => {
    const server = await raw.start((peer) =>
      peer.accept([`Sec-WebSocket-Extensions: ${PMD}; server_max_window_bits=12; client_max_window_bits=12`]),
    );
    const connection = await connect(server.url, {
      extensions: [deflate({ serverMaxWindowBits: 12, clientMaxWindowBits: 12 })],
    });
    expect(server.peers[0].header('sec-websocket-extensions')).toBe(
      `${PMD}; server_max_window_bits=12; client_max_window_bits=12`,
    );
    connection.close();
  });
});

describe('a server whose response breaks RFC 7692: the handshake fails naming the rule', () => {
  const raw = useRawServers();

  it.each<[string, DeflateOptions, string, RegExp]>([
    ['an unknown parameter', {}, `${PMD}; max_window=3`, /unknown parameter max_window/],
    ['a parameter twice', {}, `${PMD}; server_no_context_takeover; server_no_context_takeover`, /duplicate parameter/],
    [
      'server_max_window_bits=16',
      {},
      `${PMD}; server_max_window_bits=16`,
      /from 8 to 15 \(got server_max_window_bits=16\)/,
    ],
    [
      'client_max_window_bits above the offer',
      { clientMaxWindowBits: 9 },
      `${PMD}; client_max_window_bits=10`,
      /larger than the 9 offered/,
    ],
    [
      'server_max_window_bits above the offer',
      { serverMaxWindowBits: 10 },
      `${PMD}; server_max_window_bits=12`,
      /larger than the 10 offered/,
    ],
    [
      'server_no_context_takeover asked but not answered',
      { serverNoContextTakeover: true },
      PMD,
      /was offered but the response lacks it/,
    ],
  ])('%s', async (_label, options, response, rule) => {
    const server = await raw.start((peer) => peer.accept([`Sec-WebSocket-Extensions: ${response}`]));
    const failure = connect(server.url, { extensions: [deflate(options)] });
    await expect(failure).rejects.toMatchObject({ code: 'ERR_WS_EXTENSION' });
    await expect(failure).rejects.toThrow(rule);
    // What the client offered, as it went on the wire.
    expect(server.peers[0].header('sec-websocket-extensions')).toBe(
      deflate(options)
        .offer()
        .map((p) => formatExtension(PMD, p))
        .join(', '),
    );
  });
});
