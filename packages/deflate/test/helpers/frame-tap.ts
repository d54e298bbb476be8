import * as net from 'node:net';

/**
 * A TCP relay between a client and a server that reads the frame headers passing each way, so
 * a test sees on the wire what neither end reports: which frames carry RSV1. It forwards every
 * byte untouched; after the HTTP head (up to the first blank line) of each direction it parses
 * frame headers (RFC 6455 §5.2) and skips payloads.
 */

export interface TappedFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  readonly length: number;
}

export interface FrameTap {
  /** The port to connect the client to. */
  readonly port: number;
  /** Frames from the client to the server, in order, across every relayed connection. */
  readonly toServer: TappedFrame[];
  /** Frames from the server to the client. */
  readonly toClient: TappedFrame[];
  close(): Promise<void>;
}

/** Reads frame headers out of one direction of the stream. */
class HeaderReader {
  private head = true;
  private pending = Buffer.alloc(0);
  /** Payload bytes of the current frame still to skip. */
  private skip = 0;

  constructor(private readonly frames: TappedFrame[]) {}

  push(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    if (this.head) {
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = Buffer.from(data);
        return;
      }
      this.head = false;
      data = data.subarray(end + 4);
    }
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, data.length);
        this.skip -= n;
        data = data.subarray(n);
        if (this.skip > 0) return;
      }
      if (data.length < 2) break;
      const masked = (data[1] & 0x80) !== 0;
      let length = data[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (data.length < 4) break;
        length = data.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (data.length < 10) break;
        length = Number(data.readBigUInt64BE(2));
        offset = 10;
      }
      if (masked) offset += 4;
      if (data.length < offset) break;
      this.frames.push({
        fin: (data[0] & 0x80) !== 0,
        rsv1: (data[0] & 0x40) !== 0,
        opcode: data[0] & 0x0f,
        masked,
        length,
      });
      data = data.subarray(offset);
      this.skip = length;
    }
    this.pending = Buffer.from(data);
  }
}

/** Starts a relay on 127.0.0.1 (free port) to `targetPort`. */
export async function startFrameTap(targetPort: number): Promise<FrameTap> {
  const toServer: TappedFrame[] = [];
  const toClient: TappedFrame[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const up = new HeaderReader(toServer);
    const down = new HeaderReader(toClient);
    client.on('data', (chunk: Buffer) => {
      up.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      down.push(chunk);
      client.write(chunk);
    });
    // Half-closes are relayed too: a client waits for the server's FIN after the close handshake.
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    toServer,
    toClient,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
