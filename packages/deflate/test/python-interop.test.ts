import { randomBytes } from 'node:crypto';
import { connect, Opcode, type Connection } from '@ws/core';
import { deflate, type DeflateOptions } from '@ws/deflate';
import { pythonSuite, startPythonServer, type PythonServer } from '../../core/test/helpers/python-server';
import { startFrameTap, type FrameTap } from './helpers/frame-tap';
import { sample } from './helpers/peer-zlib';

/**
 * Our client with permessage-deflate against Python websockets (python3-websockets) as the
 * server: the response its factory gives to our offer, RSV1 both ways on the wire (through the
 * frame-reading relay), content intact, 1 MiB messages.
 */

const MiB = 1024 * 1024;

function nextMessage(connection: Connection): Promise<string | Buffer> {
  return new Promise((resolve, reject) => {
    connection.once('message', resolve);
    connection.once('close', (code) => reject(new Error(`closed with ${code}`)));
  });
}

async function echo(connection: Connection, message: string | Buffer): Promise<string | Buffer> {
  const reply = nextMessage(connection);
  connection.send(message, { binary: Buffer.isBuffer(message) });
  return reply;
}

const cases: [string, string, DeflateOptions, string][] = [
  [
    'Python defaults (it lowers both windows to 12)',
    'default',
    {},
    'permessage-deflate; server_max_window_bits=12; client_max_window_bits=12',
  ],
  [
    'both no_context_takeover from the server',
    '{"server_no_context_takeover": true, "client_no_context_takeover": true}',
    {},
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
  ],
  [
    'windows 9 and 10 from the server',
    '{"server_max_window_bits": 9, "client_max_window_bits": 10}',
    {},
    'permessage-deflate; server_max_window_bits=9; client_max_window_bits=10',
  ],
  [
    'the client asks for server_no_context_takeover and a server window of 10',
    '{}',
    { serverNoContextTakeover: true, serverMaxWindowBits: 10 },
    'permessage-deflate; server_no_context_takeover; server_max_window_bits=10',
  ],
  [
    'the client offers client_no_context_takeover and a client window of 11',
    '{}',
    { clientNoContextTakeover: true, clientMaxWindowBits: 11 },
    'permessage-deflate; client_no_context_takeover; client_max_window_bits=11',
  ],
];

pythonSuite('our client with deflate against a Python websockets server', () => {
  let server: PythonServer | undefined;
  let tap: FrameTap | undefined;
  let connection: Connection | undefined;

  afterEach(async () => {
    connection?.terminate();
    connection = undefined;
    await tap?.close();
    tap = undefined;
    await server?.stop();
    server = undefined;
  });

  it.each(cases)('%s', async (_label, pythonOptions, clientOptions, expected) => {
    server = await startPythonServer(pythonOptions);
    tap = await startFrameTap(server.port);
    connection = await connect(`ws://127.0.0.1:${tap.port}/`, {
      extensions: [deflate({ threshold: 16, ...clientOptions })],
      maxPayload: 4 * MiB,
    });
    expect(connection.extensions).toBe(expected);
    // Python states the same parameters.
    expect(await echo(connection, 'extensions')).toBe(expected);

    const text = sample(5000).toString('latin1');
    const upBefore = tap.toServer.length;
    const downBefore = tap.toClient.length;
    expect(await echo(connection, text)).toBe(text);
    expect(await echo(connection, text)).toBe(text);
    const up = tap.toServer.slice(upBefore).filter((frame) => frame.opcode === Opcode.Text);
    const down = tap.toClient.slice(downBefore).filter((frame) => frame.opcode === Opcode.Text);
    expect(up.map((frame) => frame.rsv1)).toEqual([true, true]);
    expect(down.map((frame) => frame.rsv1)).toEqual([true, true]);
    expect(up[0].length).toBeLessThan(text.length / 2);
    expect(down[0].length).toBeLessThan(text.length / 2);

    const binary = randomBytes(MiB);
    const back = await echo(connection, binary);
    expect(Buffer.isBuffer(back) && back.equals(binary)).toBe(true);
    const big = sample(MiB, 9).toString('latin1');
    expect(await echo(connection, big)).toBe(big);

    const closed = new Promise((resolve) => connection!.once('close', (code, reason) => resolve([code, reason])));
    connection.close(1000, 'done');
    expect(await closed).toEqual([1000, 'done']);
  });
});
