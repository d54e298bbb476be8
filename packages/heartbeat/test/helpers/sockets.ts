import { connect, type Socket } from 'node:net';
import { Server, type Plugin, type ServerOptions } from '@ws/core';
import WebSocket from 'ws';
import type { Heartbeat, HeartbeatPlugin } from '@ws/heartbeat';

export interface Started {
  server: Server;
  port: number;
  url: string;
  /** The heartbeat instance the server attached. */
  instance: Heartbeat;
  /** Closes the server and waits for its `shutdown`. */
  stop(): Promise<void>;
}

/** A standalone server on 127.0.0.1 with the given heartbeat plugin; resolves once listening. */
export async function startServer(plugin: HeartbeatPlugin, options: Partial<ServerOptions> = {}): Promise<Started> {
  let instance: Heartbeat | undefined;
  // Wraps the plugin only to get hold of the instance the server attaches.
  const spy: Plugin = {
    name: plugin.name,
    attach: (server) => (instance = plugin.attach(server)),
  };
  const server = new Server({ host: '127.0.0.1', port: 0, ...options, plugins: [spy] });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    server,
    port: address.port,
    url: `ws://127.0.0.1:${address.port}/`,
    instance: instance!,
    stop: () => server.close(),
  };
}

/** A `ws` client, resolved once open. */
export async function wsClient(url: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const client = new WebSocket(url, options);
  await new Promise<void>((resolve, reject) => {
    client.once('open', resolve);
    client.once('error', reject);
  });
  return client;
}

export interface ClientClose {
  code: number;
  reason: string;
  at: number;
}

/** Resolves with the `ws` client's close code and reason, and when it came (performance.now()). */
export function closeOf(client: WebSocket): Promise<ClientClose> {
  return new Promise((resolve) =>
    client.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() })),
  );
}

export interface Frame {
  opcode: number;
  payload: Buffer;
  at: number;
}

export interface RawClient {
  socket: Socket;
  /** Frames the server sent, parsed as they come. */
  frames: Frame[];
  /** Resolves when the TCP connection is closed, with the time (performance.now()). */
  closed: Promise<number>;
  /** Resolves with the first frame of this opcode. */
  next(opcode: number): Promise<Frame>;
}

/**
 * A raw TCP client that completes the opening handshake and then answers nothing: no pong, no
 * close. It is what a dead peer (or a wedged one) looks like to the server.
 */
export async function silentClient(port: number): Promise<RawClient> {
  const socket = connect(port, '127.0.0.1');
  const frames: Frame[] = [];
  const waiters: Array<{ opcode: number; resolve: (f: Frame) => void }> = [];
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  socket.on('error', () => undefined); // a reset is the server giving up on us: expected
  let buffered = Buffer.alloc(0);
  let upgraded = false;

  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () =>
      socket.write(
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    socket.once('close', () => reject(new Error('closed during the handshake')));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`handshake refused: ${head}`));
        upgraded = true;
        buffered = buffered.subarray(end + 4);
        resolve();
      }
      // Server frames are unmasked (RFC 6455 §5.1); parse every complete one.
      for (;;) {
        if (buffered.length < 2) return;
        let length = buffered[1] & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffered.length < 4) return;
          length = buffered.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffered.length < 10) return;
          length = Number(buffered.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffered.length < offset + length) return;
        const frame = {
          opcode: buffered[0] & 0x0f,
          payload: Buffer.from(buffered.subarray(offset, offset + length)),
          at: performance.now(),
        };
        buffered = buffered.subarray(offset + length);
        frames.push(frame);
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i].opcode === frame.opcode) waiters.splice(i, 1)[0].resolve(frame);
        }
      }
    });
  });

  const next = (opcode: number) =>
    new Promise<Frame>((resolve) => {
      const seen = frames.find((f) => f.opcode === opcode);
      if (seen !== undefined) resolve(seen);
      else waiters.push({ opcode, resolve });
    });
  return { socket, frames, closed, next };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
