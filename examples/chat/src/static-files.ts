import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';

/** The page's files, read once at start: a fixed table, so no request path ever reaches the disk. */
const FILES: Record<string, { readonly file: string; readonly type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/chat.js': { file: 'chat.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

// The page talks only to its own origin; ws: and wss: are listed because CSP's 'self' does not
// cover them in every browser.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** What the handler uses of a request and a response: HTTP/1.1's and HTTP/2's compat API alike. */
export type RequestHandler = (
  request: Pick<IncomingMessage, 'url' | 'method'>,
  response: {
    writeHead(status: number, headers: Record<string, string | number>): unknown;
    end(body: Buffer | string): unknown;
  },
) => void;

/** Serves the files under `publicDir` listed above; anything else is 404, any method but GET/HEAD 405. */
export function createStaticHandler(publicDir: string): RequestHandler {
  const bodies = new Map<string, { readonly body: Buffer; readonly type: string }>();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    bodies.set(path, { body: readFileSync(join(publicDir, file)), type });
  }

  return (request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    const entry = bodies.get(path);
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('method not allowed\n');
      return;
    }
    if (entry === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found\n');
      return;
    }
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': entry.type, 'content-length': entry.body.length });
    response.end(request.method === 'HEAD' ? '' : entry.body);
  };
}
