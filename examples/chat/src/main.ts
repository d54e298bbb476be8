#!/usr/bin/env node
/**
 * `pnpm start [port] [--h2]`: serves the chat on 127.0.0.1 (or $HOST) at the port from the
 * command line, $PORT, or 8080. `--h2` serves it over TLS and HTTP/2 with a certificate made
 * at start, WebSockets included (RFC 8441).
 */
import { startChat } from './chat-server';
import { selfSignedCertificate } from './self-signed';

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return 8080;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`not a port number: ${value}`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  // pnpm may pass a `--` separator through: it is not an argument.
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  const h2 = args.includes('--h2');
  const port = parsePort(args.find((arg) => arg !== '--h2') ?? process.env.PORT);
  const host = process.env.HOST || '127.0.0.1';
  const chat = await startChat({
    host,
    port,
    tls: h2 ? selfSignedCertificate() : undefined,
    log: (line) => console.log(`[${new Date().toISOString()}] ${line}`),
  });
  console.log(`Chat running. Open ${chat.url} in two browser windows (Ctrl+C to stop).`);
  if (h2) console.log('HTTP/2 with a self-signed certificate: the browser asks you to accept it once.');

  const stop = (): void => {
    console.log('stopping');
    void chat.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: NodeJS.ErrnoException) => {
  console.error(error.code === 'EADDRINUSE' ? `port in use: ${error.message} (pass another: pnpm start 8081)` : error);
  process.exit(1);
});
