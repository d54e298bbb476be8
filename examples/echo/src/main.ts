#!/usr/bin/env node
/** `pnpm start [port]`: the echo server on 127.0.0.1 (or $HOST) at the given port, $PORT, or 9001. */
import { startEcho } from './echo-server';

async function main(): Promise<void> {
  const arg = process.argv[2] ?? process.env.PORT ?? '9001';
  const port = Number(arg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`not a port number: ${arg}`);
    process.exit(2);
  }
  const echo = await startEcho({ host: process.env.HOST || '127.0.0.1', port });
  echo.server.on('error', (error) => console.error(`connection error: ${error.message}`));
  console.log(`Echo server listening on ${echo.url} (permessage-deflate on, maxPayload 64 MiB). Ctrl+C to stop.`);

  const stop = (): void => void echo.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: NodeJS.ErrnoException) => {
  console.error(error.code === 'EADDRINUSE' ? `port in use: ${error.message}` : error);
  process.exit(1);
});
