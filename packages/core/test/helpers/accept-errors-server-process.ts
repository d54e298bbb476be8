/**
 * Runs in a child `node` process (hardening-child.ts's
 * `startServerProcess(options, flags, 'accept-errors-server-process.ts')`): a standalone echo
 * server for integration/accept-errors.test.ts, where a failed accept that crashed the process
 * would not take jest with it.
 *
 *   argv[2]  ServerOptions as JSON (host and port are set here)
 *   argv[3]  { fdLimit?: number, errorListener?: boolean, port?: number }
 *            fdLimit: this process's RLIMIT_NOFILE, set with `prlimit` before the server
 *            listens (Node has no setrlimit); errorListener: record the server's `error`
 *            events (without it the server has none); port: listen there rather than on 0
 *
 * IPC, besides { type: 'listening', port }: each { id, command } is answered with
 * { id, ...AcceptErrorStats }.
 *   stats                  the stats
 *   failAccept { count }   `count` failed accepts, as Node reports them (see below)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import type { Server as NetServer } from 'node:net';
import { constants } from 'node:os';
import { Server, type Connection, type ServerOptions } from '@ws/core';

export interface AcceptErrorStats {
  /** This process's open file descriptors; null when none was left to list them with. */
  openFds: number | null;
  clients: number;
  errors: Array<{ syscall?: string; code?: string }>;
  warnings: Array<{ code?: string; message: string }>;
}

interface Command {
  id: number;
  command: 'stats' | 'failAccept';
  count?: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
const flags = JSON.parse(process.argv[3] ?? '{}') as { fdLimit?: number; errorListener?: boolean; port?: number };
const errors: AcceptErrorStats['errors'] = [];
const warnings: AcceptErrorStats['warnings'] = [];

if (flags.fdLimit !== undefined) {
  execFileSync('prlimit', [`--pid=${process.pid}`, `--nofile=${flags.fdLimit}`]);
}
process.on('warning', (warning: Error & { code?: string }) => {
  warnings.push({ code: warning.code, message: warning.message });
});

const server = new Server({ ...options, host: '127.0.0.1', port: flags.port ?? 0 });
if (flags.errorListener === true) {
  server.on('error', (error: NodeJS.ErrnoException) => errors.push({ syscall: error.syscall, code: error.code }));
}
server.on('connection', (connection: Connection) => {
  connection.on('message', (data: string | Buffer, isBinary: boolean) => connection.send(data, { binary: isBinary }));
});
server.on('listening', () => {
  const address = server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
});

/**
 * Since libuv 1.45 (Node 20.3), a failed accept never reaches JavaScript on Unix (libuv sheds
 * the connection itself), so one is made the only way left: Node's own `onconnection`
 * (lib/net.js), which libuv calls on the listening handle, is called with UV_EMFILE, the way
 * Node 20.0-20.2 and Windows call it.
 */
function failAccept(count: number): void {
  const netServer = (server as unknown as { standalone: { netServer: NetServer } }).standalone.netServer;
  const handle = (netServer as unknown as { _handle: { onconnection(status: number): void } })._handle;
  for (let i = 0; i < count; i++) handle.onconnection(-constants.errno.EMFILE);
}

function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length - 1; // less the one that lists them
  } catch {
    return null;
  }
}

function stats(): AcceptErrorStats {
  return { openFds: openFds(), clients: server.clients.size, errors, warnings };
}

process.on('message', (message: Command) => {
  if (message.command === 'failAccept') failAccept(message.count ?? 1);
  // After the ticks on which process warnings are emitted.
  setImmediate(() => process.send?.({ id: message.id, ...stats() }));
});

// The test process went away without telling us: do not outlive it.
process.on('disconnect', () => process.exit(0));
