/**
 * A WebSocket client over a raw `net` socket: it completes a valid handshake, then sends
 * whatever bytes a test builds (see frames.ts) and parses what the server sends back. A case
 * reads as "bytes in, close code out":
 *
 *   const client = await openRaw(port);
 *   client.send(frame({ opcode: 3 }));
 *   expect(await client.closeCode()).toBe(1002);
 */
import * as crypto from 'node:crypto';
import type * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_WAIT_MS, delay, withTimeout } from './events';
import { FrameReader, closePayload, frame, op, type ParsedFrame } from './frames';
import { connectTcp, readResponse, upgradeRequest, type HeaderOverrides, type RawResponse } from './raw-http';

export interface RawOpenOptions {
  path?: string;
  headers?: HeaderOverrides;
  /** Answer the server's close frame with a close frame, as RFC 6455 §5.5.1 asks. Default true. */
  echoClose?: boolean;
  track?: (socket: net.Socket) => void;
}

/** What ended the connection from the client's point of view. */
export interface CloseInfo {
  /** From the server's close frame; 1005 if it had no code; 1006 if none came before TCP closed. */
  code: number;
  reason: string;
  /** The raw close payload (empty when there was no close frame). */
  payload: Buffer;
}

export class RawClient<S extends Duplex = net.Socket> {
  readonly frames: ParsedFrame[] = [];
  /** Resolves when TCP is closed. */
  readonly closed: Promise<void>;
  private readonly reader = new FrameReader();
  private readonly waiters: Array<() => void> = [];
  private closeInfo: CloseInfo | undefined;
  private sentClose = false;

  /** `socket` is a TCP socket after a 101, or an HTTP/2 stream after a 200 (see h2-client.ts). */
  constructor(
    readonly socket: S,
    readonly response: Pick<RawResponse, 'rest' | 'closed'>,
    private readonly echoClose: boolean,
  ) {
    this.closed = response.closed;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.once('close', () => {
      this.closeInfo ??= { code: 1006, reason: '', payload: Buffer.alloc(0) };
      this.wake();
    });
    if (response.rest.length > 0) this.onData(response.rest);
    socket.resume();
  }

  /** Writes raw bytes (one write; the kernel may still merge or split them). */
  send(...chunks: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(chunks));
  }

  /** Writes `data` in pieces of `size` bytes, pausing between them so each arrives on its own. */
  async sendInPieces(data: Buffer, size: number, pauseMs = 2): Promise<void> {
    for (let i = 0; i < data.length; i += size) {
      this.send(data.subarray(i, i + size));
      await delay(pauseMs);
    }
  }

  /** Waits until at least `count` frames have arrived, and returns the `count`-th one (1-based). */
  async frameAt(count: number, ms = DEFAULT_WAIT_MS): Promise<ParsedFrame> {
    await this.waitUntil(() => this.frames.length >= count || this.closeInfo !== undefined, ms, `frame #${count}`);
    if (this.frames.length < count) throw new Error(`connection ended after ${this.frames.length} frame(s)`);
    return this.frames[count - 1];
  }

  /** The next frame of `opcode` that arrives after the ones already received. */
  async nextOfOpcode(opcode: number, ms = DEFAULT_WAIT_MS): Promise<ParsedFrame> {
    const seen = this.frames.filter((f) => f.opcode === opcode).length;
    await this.waitUntil(
      () => this.frames.filter((f) => f.opcode === opcode).length > seen || this.closeInfo !== undefined,
      ms,
      `a frame with opcode ${opcode}`,
    );
    const found = this.frames.filter((f) => f.opcode === opcode)[seen];
    if (found === undefined) throw new Error(`connection ended before a frame with opcode ${opcode}`);
    return found;
  }

  /** Resolves with how the server ended the connection (close frame, or 1006 for plain TCP close). */
  async closeInfoOrLoss(ms = DEFAULT_WAIT_MS): Promise<CloseInfo> {
    await this.waitUntil(() => this.closeInfo !== undefined, ms, 'the server to close');
    return this.closeInfo as CloseInfo;
  }

  /** The code of the server's close frame (1006 if TCP closed without one). */
  async closeCode(ms = DEFAULT_WAIT_MS): Promise<number> {
    return (await this.closeInfoOrLoss(ms)).code;
  }

  /** Sends a close frame of our own. */
  sendClose(code?: number, reason = ''): void {
    this.sentClose = true;
    this.send(frame({ opcode: op.close, payload: code === undefined ? Buffer.alloc(0) : closePayload(code, reason) }));
  }

  /** Data frames received so far, by opcode (text/binary/continuation). */
  dataFrames(): ParsedFrame[] {
    return this.frames.filter((f) => f.opcode < 0x8);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let parsed: ParsedFrame[];
    try {
      parsed = this.reader.push(chunk);
    } catch {
      // A frame too large to hold in a test: end here, and the test sees 1006.
      this.socket.destroy();
      return;
    }
    for (const f of parsed) {
      this.frames.push(f);
      if (f.opcode === op.close && this.closeInfo === undefined) {
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        this.closeInfo = { code, reason: f.payload.subarray(2).toString('utf8'), payload: f.payload };
        if (this.echoClose && !this.sentClose) {
          // RFC 6455 §5.5.1: echo the status code.
          this.sentClose = true;
          this.send(frame({ opcode: op.close, payload: f.payload.subarray(0, 2) }));
        }
      }
    }
    if (parsed.length > 0) this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  private waitUntil(predicate: () => boolean, ms: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve();
    const waiting = new Promise<void>((resolve) => {
      const check = (): void => {
        if (predicate()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
    return withTimeout(waiting, ms, what);
  }
}

/** A fresh random Sec-WebSocket-Key, as RFC 6455 §4.1 requires of clients. */
const randomKey = (): string => crypto.randomBytes(16).toString('base64');

export function expectedAccept(key: string): string {
  return crypto.createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
}

/** Connects and completes the opening handshake; throws unless the answer is a correct 101. */
export async function openRaw(port: number, options: RawOpenOptions = {}): Promise<RawClient> {
  const key = randomKey();
  const socket = await connectTcp(port, options.track);
  socket.write(upgradeRequest({ path: options.path, headers: { 'Sec-WebSocket-Key': key, ...options.headers } }));
  const response = await readResponse(socket);
  if (response.status !== 101) throw new Error(`handshake refused: ${response.statusLine}`);
  if (response.headers['sec-websocket-accept'] !== expectedAccept(key)) throw new Error('wrong Sec-WebSocket-Accept');
  return new RawClient(socket, response, options.echoClose ?? true);
}
