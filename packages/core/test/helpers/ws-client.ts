/**
 * The `ws` package as an independent, well-behaved client: resolves once open, and records
 * messages (text as string, binary as Buffer), pings, pongs and the close code and reason.
 */
import WebSocket from 'ws';
import { DEFAULT_WAIT_MS, Recorder, withTimeout } from './events';

export interface ReceivedMessage {
  data: string | Buffer;
  isBinary: boolean;
}

export class WsClient {
  readonly recorder: Recorder;
  readonly messages: ReceivedMessage[] = [];
  /** Resolves with the close code and reason the client saw. */
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    this.recorder = new Recorder(ws, ['message', 'ping', 'pong', 'close', 'error']);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.messages.push({ data: isBinary ? data : data.toString('utf8'), isBinary });
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString('utf8') }));
    });
  }

  /** The `index`-th message (0-based), now or when it arrives. */
  async message(index = 0, ms = DEFAULT_WAIT_MS): Promise<ReceivedMessage> {
    await this.recorder.nth('message', index, ms);
    return this.messages[index];
  }

  /** Resolves with the close the client saw, or rejects after `ms`. */
  closedWithin(ms = DEFAULT_WAIT_MS): Promise<{ code: number; reason: string }> {
    return withTimeout(this.closed, ms, 'the ws client to close');
  }
}

/** Connects with `ws`; resolves on `open`, rejects on a refused handshake or error. */
export function connectWs(
  url: string,
  protocols?: string | string[],
  options?: WebSocket.ClientOptions,
  track?: (client: WsClient) => void,
): Promise<WsClient> {
  const ws = new WebSocket(url, protocols, options);
  const client = new WsClient(ws);
  track?.(client);
  const opened = new Promise<WsClient>((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('error', reject);
    ws.once('unexpected-response', (_request, response) => {
      reject(new Error(`unexpected response ${response.statusCode}`));
      ws.terminate();
    });
  });
  return withTimeout(opened, DEFAULT_WAIT_MS, `ws client to open ${url}`);
}
