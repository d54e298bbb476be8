import { randomBytes } from 'node:crypto';
import { connect, type ClientOptions, type Connection } from '@ws/core';
import { pythonSuite, startPythonServer, type PythonServer } from '../helpers/python-server';
import { selfSignedCertificate } from '../helpers/tls-cert';

/**
 * Our client against Python websockets (Debian's python3-websockets, an independent
 * implementation) as the server, over real sockets: messages, fragmentation, 1 MiB, pings each
 * way, and closes from each side; over ws:// and over wss:// (Python's ssl module serving a
 * certificate our client verifies). With deflate: packages/deflate/test/python-interop.test.ts.
 */

const MiB = 1024 * 1024;

function nextMessage(connection: Connection): Promise<string | Buffer> {
  return new Promise((resolve, reject) => {
    connection.once('message', resolve);
    connection.once('close', (code) => reject(new Error(`closed with ${code}`)));
  });
}

function closeOf(connection: Connection): Promise<[number, string, boolean]> {
  return new Promise((resolve) =>
    connection.once('close', (code, reason, wasClean) => resolve([code, reason, wasClean])),
  );
}

async function echo(connection: Connection, message: string | Buffer): Promise<string | Buffer> {
  const reply = nextMessage(connection);
  connection.send(message, { binary: Buffer.isBuffer(message) });
  return reply;
}

const certificate = selfSignedCertificate();

pythonSuite('our client against a Python websockets server', () => {
  describe.each([
    ['ws://', false],
    ['wss://', true],
  ])('over %s', (_scheme, secure) => interop(secure));
});

function interop(secure: boolean): void {
  let server: PythonServer;
  let connection: Connection | undefined;
  // Every connect() of the suite goes through here, so each test runs over the suite's scheme.
  const open = (options: ClientOptions = {}): Promise<Connection> =>
    connect(server.url, secure ? { ...options, tls: { ca: certificate.cert } } : options);

  beforeAll(async () => {
    server = await startPythonServer('off', secure ? certificate : undefined);
    expect(server.url.startsWith(secure ? 'wss://' : 'ws://')).toBe(true);
  });
  afterAll(async () => {
    await server.stop();
  });
  afterEach(() => {
    connection?.terminate();
    connection = undefined;
  });

  it('opens without extensions when it offers none', async () => {
    connection = await open();
    expect(connection.extensions).toBe('');
    expect(await echo(connection, 'extensions')).toBe('');
  });

  it('echoes text (UTF-8) and binary', async () => {
    connection = await open();
    expect(await echo(connection, 'héllo ☃ 𝄞')).toBe('héllo ☃ 𝄞');
    const binary = randomBytes(300);
    const back = await echo(connection, binary);
    expect(Buffer.isBuffer(back) && back.equals(binary)).toBe(true);
    expect(await echo(connection, '')).toBe('');
  });

  it('echoes 1 MiB messages, text and binary', async () => {
    connection = await open({ maxPayload: 4 * MiB });
    const text = 'x'.repeat(MiB);
    expect(await echo(connection, text)).toBe(text);
    const binary = randomBytes(MiB);
    const back = await echo(connection, binary);
    expect(Buffer.isBuffer(back) && back.equals(binary)).toBe(true);
  });

  it('echoes 16 MiB messages, text and binary', async () => {
    connection = await open({ maxPayload: 32 * MiB });
    const text = 'sixteen '.repeat(2 * MiB);
    expect(await echo(connection, text)).toBe(text);
    const binary = randomBytes(16 * MiB);
    const back = await echo(connection, binary);
    expect(Buffer.isBuffer(back) && back.equals(binary)).toBe(true);
  }, 60_000);

  it('sends a message in many frames (maxFrameSize) that Python reassembles', async () => {
    connection = await open({ maxFrameSize: 1000 });
    const text = 'fragment '.repeat(1000);
    expect(await echo(connection, text)).toBe(text);
  });

  it('ping: Python answers with a pong carrying the payload', async () => {
    connection = await open();
    const pong = new Promise<Buffer>((resolve) => connection!.once('pong', resolve));
    connection.ping('are you there');
    expect((await pong).toString()).toBe('are you there');
    expect(connection.latency).toBeGreaterThanOrEqual(0);
  });

  it('a ping from Python is answered by our client', async () => {
    connection = await open();
    const ping = new Promise<Buffer>((resolve) => connection!.once('ping', resolve));
    expect(await echo(connection, 'ping-me')).toBe('pong-received');
    expect((await ping).toString()).toBe('from-python');
  });

  it('close from our client: Python echoes the code and reason, then closes TCP', async () => {
    connection = await open();
    const closed = closeOf(connection);
    connection.close(4000, 'client says bye');
    expect(await closed).toEqual([4000, 'client says bye', true]);
  });

  it('close from Python: our client sees its code and reason, cleanly', async () => {
    connection = await open();
    const closed = closeOf(connection);
    connection.send('close:4001:server says bye');
    expect(await closed).toEqual([4001, 'server says bye', true]);
  });
}
