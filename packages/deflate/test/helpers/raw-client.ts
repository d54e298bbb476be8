import { randomBytes } from 'node:crypto';
import net from 'node:net';

export interface RawFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

/**
 * A bare TCP client speaking just enough RFC 6455 to send frames no library would (compressed
 * payloads of our choosing with RSV1) and to see the server's frames bit for bit.
 */
export class RawClient {
  readonly socket: net.Socket;
  responseHead = '';
  private buffer: Buffer = Buffer.alloc(0);
  private readonly frames: RawFrame[] = [];
  private waiter: (() => void) | null = null;
  ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
  }

  static async connect(url: string, extensions: string): Promise<RawClient> {
    const { hostname, port } = new URL(url);
    const socket = net.connect(Number(port), hostname);
    const client = new RawClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => {
      // The server may reset a connection it failed; the test reads what came before.
    });
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ${extensions}\r\n\r\n`,
    );
    await new Promise<void>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        client.responseHead = head.subarray(0, end).toString('latin1');
        if (!client.responseHead.startsWith('HTTP/1.1 101')) reject(new Error(client.responseHead));
        client.onData(head.subarray(end + 4));
        socket.on('data', (data: Buffer) => client.onData(data));
        resolve();
      };
      socket.on('data', onData);
    });
    socket.on('close', () => {
      client.ended = true;
      client.wake();
    });
    return client;
  }

  /** Sends one masked frame. */
  send(opcode: number, payload: Buffer, options: { fin?: boolean; rsv?: number } = {}): void {
    this.socket.write(RawClient.frame(opcode, payload, options));
  }

  /** One masked frame's bytes, to be written in pieces with `write`. */
  static frame(opcode: number, payload: Buffer, { fin = true, rsv = 0 }: { fin?: boolean; rsv?: number } = {}): Buffer {
    const length = payload.length;
    const extra = length < 126 ? 0 : length < 65536 ? 2 : 8;
    const header = Buffer.alloc(2 + extra + 4);
    header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
    if (extra === 0) header[1] = 0x80 | length;
    else if (extra === 2) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    const mask = randomBytes(4);
    mask.copy(header, 2 + extra);
    const masked = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) masked[i] = payload[i] ^ mask[i & 3];
    return Buffer.concat([header, masked]);
  }

  /** Writes raw bytes (a part of a frame, say) as one TCP write. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /**
   * The status code of a close frame that arrives within `ms` (1005 if it had none), or null if
   * none came by then (frames before it are consumed).
   */
  async closeCodeWithin(ms: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(resolve, ms, null)));
    try {
      return await Promise.race([this.closeCode(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next frame from the server, or null once the connection has ended. */
  async nextFrame(): Promise<RawFrame | null> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame !== undefined) return frame;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  /** Reads frames until a close frame; returns its status code (1005 if it had none, null if none came). */
  async closeCode(): Promise<number | null> {
    for (;;) {
      const frame = await this.nextFrame();
      if (frame === null) return null;
      if (frame.opcode === 0x8) return frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const b = this.buffer;
      if (b.length < 2) break;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) break;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) break;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) break;
      this.frames.push({
        fin: (b[0] & 0x80) !== 0,
        rsv: (b[0] >> 4) & 0x7,
        opcode: b[0] & 0x0f,
        payload: b.subarray(offset, offset + length),
      });
      this.buffer = b.subarray(offset + length);
    }
    this.wake();
  }
}
