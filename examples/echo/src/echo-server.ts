import type { AddressInfo } from 'node:net';
import { Server } from '@ws/core';
import { deflate } from '@ws/deflate';

export interface EchoOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; `0` picks a free one. Default `9001` (what Autobahn's examples use). */
  port?: number;
  /** Largest incoming message in bytes. Default 64 MiB: Autobahn's largest cases send 16 MiB. */
  maxPayload?: number;
}

export interface EchoHandle {
  /** e.g. `ws://127.0.0.1:9001` */
  readonly url: string;
  readonly port: number;
  /** The core server, for tests and logging. */
  readonly server: Server;
  /** Closes every connection with 1001 and stops listening. */
  close(): Promise<void>;
}

export const ECHO_MAX_PAYLOAD = 64 * 1024 * 1024;

/**
 * Echoes every message back as it came: text as text, binary as binary. With permessage-deflate
 * offered, this is the server a conformance suite such as the Autobahn TestSuite's fuzzing
 * client is pointed at: all of RFC 6455's and RFC 7692's rules are core's, none are here.
 */
export async function startEcho(options: EchoOptions = {}): Promise<EchoHandle> {
  const host = options.host ?? '127.0.0.1';
  const server = new Server({
    host,
    port: options.port ?? 9001,
    maxPayload: options.maxPayload ?? ECHO_MAX_PAYLOAD,
    extensions: [deflate()],
  });
  server.on('message', (data, connection, isBinary) => {
    if (connection.isOpen) connection.send(data, { binary: isBinary });
  });
  // Protocol errors are answered by core with the right close code; a listener keeps them from
  // going unreported.
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });

  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    close() {
      closed ??= server.close();
      return closed;
    },
  };
}
