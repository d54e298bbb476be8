import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions } from '@ws/core';
import WebSocket, { type PerMessageDeflateOptions } from 'ws';

export interface TestServer {
  server: Server;
  url: string;
  /** Errors the server reported for failed connections, in order. */
  errors: Error[];
  close(): Promise<void>;
}

/** A standalone server on 127.0.0.1, port 0, echoing every message as it came (text or binary). */
export async function startEchoServer(options: Omit<ServerOptions, 'host' | 'port'>): Promise<TestServer> {
  const server = new Server({ ...options, host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('message', (data, connection, isBinary) => connection.send(data, { binary: isBinary }));
  const errors: Error[] = [];
  // Expected in hostile-input tests: the connection is failed and closed.
  server.on('error', (error) => errors.push(error));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `ws://127.0.0.1:${port}`,
    errors,
    close: () => server.close(),
  };
}

export interface TestClient {
  ws: WebSocket;
  /** The Sec-WebSocket-Extensions header of the server's 101 response. */
  responseExtensions: string | undefined;
}

/** A `ws` client, open. */
export function connect(url: string, perMessageDeflate: PerMessageDeflateOptions | false): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate });
    let responseExtensions: string | undefined;
    ws.once('upgrade', (response) => {
      responseExtensions = response.headers['sec-websocket-extensions'];
    });
    ws.once('open', () => resolve({ ws, responseExtensions }));
    ws.once('error', reject);
  });
}

/** Closes a `ws` client and waits for the close to finish. */
export function closeClient(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

/** The next `count` messages, each as text (string) or binary (Buffer). */
export function nextMessages(ws: WebSocket, count: number): Promise<(string | Buffer)[]> {
  return new Promise((resolve, reject) => {
    const got: (string | Buffer)[] = [];
    const onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      got.push(isBinary ? buffer : buffer.toString('utf8'));
      if (got.length === count) {
        ws.off('message', onMessage);
        ws.off('close', onClose);
        resolve(got);
      }
    };
    const onClose = (code: number): void => {
      ws.off('message', onMessage);
      reject(new Error(`closed with ${code} after ${got.length} of ${count} messages`));
    };
    ws.on('message', onMessage);
    ws.once('close', onClose);
  });
}

/** The close code the client sees. */
export function closeCode(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}
