#!/usr/bin/env node
/**
 * `pnpm start [port]`: serves the chat on 127.0.0.1 (or $HOST) at the port from the command
 * line, $PORT, or 8080.
 */
import { startChat } from './chat-server';

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
  const port = parsePort(process.argv[2] ?? process.env.PORT);
  const host = process.env.HOST || '127.0.0.1';
  const chat = await startChat({
    host,
    port,
    log: (line) => console.log(`[${new Date().toISOString()}] ${line}`),
  });
  console.log(`Chat running. Open ${chat.url} in two browser windows (Ctrl+C to stop).`);

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
