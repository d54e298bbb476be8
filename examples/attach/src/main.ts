#!/usr/bin/env node
/** `pnpm start [port]`: the attach example on 127.0.0.1 (or $HOST); the token from $TOKEN or random. */
import { startAttach } from './attach-server';

async function main(): Promise<void> {
  const arg = process.argv[2] ?? process.env.PORT ?? '8080';
  const port = Number(arg);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`not a port number: ${arg}`);
    process.exit(2);
  }
  const app = await startAttach({ host: process.env.HOST || '127.0.0.1', port, token: process.env.TOKEN || undefined });
  console.log(`HTTP:      ${app.httpUrl}/health`);
  console.log(`WebSocket: ${app.wsUrl}/echo?token=${app.token}`);
  console.log(`           ${app.wsUrl}/broadcast?token=${app.token}`);
  console.log('Ctrl+C to stop.');

  const stop = (): void => void app.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: NodeJS.ErrnoException) => {
  console.error(error.code === 'EADDRINUSE' ? `port in use: ${error.message}` : error);
  process.exit(1);
});
