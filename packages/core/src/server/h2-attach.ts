import type {
  Http2SecureServer,
  Http2ServerRequest,
  Http2ServerResponse,
  IncomingHttpHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import { isWebSocketConnect } from '../handshake/extended-connect';
import type { AttachableServer } from './options';

export type StreamRoute = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

/** Streams already taken as WebSockets: Node may show one stream to two listeners (below). */
const claimed = new WeakSet<ServerHttp2Stream>();

export function isHttp2Server(server: AttachableServer): server is Http2SecureServer {
  return typeof (server as Partial<Http2SecureServer>).updateSettings === 'function';
}

/**
 * Takes the extended CONNECTs with `:protocol websocket` (RFC 8441 §4) on an
 * `Http2SecureServer`, and tells its clients they may send them (SETTINGS_ENABLE_CONNECT_PROTOCOL,
 * §3) from the next session on. Returns the function that lets go again.
 *
 * Node shows a stream to the server's `stream` listeners and, when the application uses the
 * compatibility API (a `request` listener), to its own `stream` listener, which passes CONNECTs
 * to `connect` listeners and answers 405 when there are none. So both are listened to, whichever
 * comes first takes the stream, and other CONNECTs are left to the application (405 from here
 * only when nobody else listens to `connect`, as Node itself would answer).
 */
export function listenForWebSocketStreams(server: Http2SecureServer, route: StreamRoute): () => void {
  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    if (!isWebSocketConnect(headers) || claimed.has(stream)) return;
    claimed.add(stream);
    route(stream, headers);
  };
  const onConnect = (request: Http2ServerRequest, response: Http2ServerResponse): void => {
    if (isWebSocketConnect(request.headers)) {
      onStream(request.stream, request.headers);
    } else if (server.listenerCount('connect') === 1) {
      response.writeHead(405);
      response.end();
    }
  };
  server.updateSettings({ enableConnectProtocol: true });
  server.on('stream', onStream);
  server.on('connect', onConnect);
  return () => {
    server.removeListener('stream', onStream);
    server.removeListener('connect', onConnect);
  };
}
