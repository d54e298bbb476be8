/**
 * Standalone mode's `net.Server` errors are of two kinds. A listen error (EADDRINUSE, EACCES)
 * means the server never served: fatal, thrown when nobody listens for `error`. A failed accept
 * (EMFILE, ENFILE: the process is out of file descriptors) is load a client can cause, and
 * nothing a client does may crash the process: the server goes on listening.
 *
 * Node reports a failed accept from `onconnection` (lib/net.js) as
 * `new ErrnoException(err, 'accept')`, so `syscall` tells the kinds apart. On Unix, libuv 1.45
 * (Node 20.3) and later no longer report one at all: they shed the waiting connection themselves
 * (close a reserved fd, accept, close). Node 20.0-20.2 did, when that shedding failed, and
 * Windows still does.
 */
export function isAcceptError(error: Error): boolean {
  return (error as NodeJS.ErrnoException).syscall === 'accept';
}

/** One warning per server: a flood fails an accept per connection, and would repeat it as often. */
export class AcceptFailureWarning {
  private warned = false;

  warn(error: NodeJS.ErrnoException): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(
      `WebSocket server: accepting connections fails (${error.code ?? error.message}); clients are ` +
        `turned away while it lasts. Listen for the server's 'error' event to see each failure.`,
      {
        code: 'WS_WARN_ACCEPT_FAILING',
        detail: 'EMFILE and ENFILE mean the process or the system is out of file descriptors (ulimit -n).',
      },
    );
  }
}
