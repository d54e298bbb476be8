/**
 * A hand-driven WebSocket server on a raw `net` socket, for client tests: it reads the client's
 * request head and lets the test answer anything (a broken handshake, a masked frame, silence).
 * `accept(lines?)` writes a valid 101 for the request's key, with header lines replaced or added.
 *
 *   const s = useRawServers();
 *   const server = await s.start((peer) => peer.answer('HTTP/1.1 200 OK\r\n\r\n'));
 *   await expect(connect(server.url)).rejects.toMatchObject({ code: 'ERR_WS_STATUS' });
 */
import * as net from 'node:net';
import { expectedAccept } from './raw-ws-client';
import { FrameReader, type ParsedFrame } from './frames';

/** One client connection to the raw server, after its request head arrived. */
export class RawPeer {
  readonly frames: ParsedFrame[] = [];
  private readonly reader = new FrameReader();
  private readonly waiters: (() => void)[] = [];
  /** True once the client half-closed or closed TCP. */
  ended = false;

  constructor(
    readonly socket: net.Socket,
    /** The request head as text. */
    readonly request: string,
  ) {
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  /** A request header's value (the first, name matched case-insensitively), or undefined. */
  header(name: string): string | undefined {
    const line = this.request.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line?.slice(line.indexOf(':') + 1).trim();
  }

  /** Writes a valid 101 for this request; `lines` replace headers of the same name (`Name: value`) or are added. */
  accept(lines: readonly string[] = [], drop: readonly string[] = []): void {
    const headers = new Map<string, string>([
      ['upgrade', 'Upgrade: websocket'],
      ['connection', 'Connection: Upgrade'],
      ['sec-websocket-accept', `Sec-WebSocket-Accept: ${expectedAccept(this.header('sec-websocket-key') ?? '')}`],
    ]);
    for (const name of drop) headers.delete(name.toLowerCase());
    for (const line of lines) headers.set(line.slice(0, line.indexOf(':')).toLowerCase(), line);
    this.answer(`HTTP/1.1 101 Switching Protocols\r\n${[...headers.values()].map((l) => `${l}\r\n`).join('')}\r\n`);
  }

  answer(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves with the first frame (client frames unmasked) whose opcode is `opcode`. */
  async frame(opcode: number, ms = 3000): Promise<ParsedFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find((f) => f.opcode === opcode);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no frame with opcode ${opcode} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  /** @internal */
  receive(chunk: Buffer): void {
    this.frames.push(...this.reader.push(chunk));
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export interface RawServer {
  readonly port: number;
  readonly url: string;
  /** Every connection whose request head arrived, in order. */
  readonly peers: RawPeer[];
  /** Sockets accepted, head or not. */
  readonly accepted: net.Socket[];
}

export class RawServers {
  private readonly servers = new Set<net.Server>();
  private readonly sockets = new Set<net.Socket>();

  /** Listens on 127.0.0.1, port 0; `onRequest` runs once each client's request head has arrived. */
  async start(onRequest: (peer: RawPeer) => void): Promise<RawServer> {
    const peers: RawPeer[] = [];
    const accepted: net.Socket[] = [];
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      this.sockets.add(socket);
      accepted.push(socket);
      socket.on('error', () => undefined);
      let head = Buffer.alloc(0);
      let peer: RawPeer | null = null;
      socket.on('data', (chunk: Buffer) => {
        if (peer !== null) return peer.receive(chunk);
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        peer = new RawPeer(socket, head.subarray(0, end).toString('latin1'));
        peers.push(peer);
        onRequest(peer);
        if (head.length > end + 4) peer.receive(head.subarray(end + 4));
      });
    });
    this.servers.add(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    return { port, url: `ws://127.0.0.1:${port}`, peers, accepted };
  }

  async cleanup(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([...this.servers].map((server) => new Promise((resolve) => server.close(resolve))));
    this.sockets.clear();
    this.servers.clear();
  }
}

/** Raw servers closed after each test. */
export function useRawServers(): RawServers {
  const servers = new RawServers();
  afterEach(() => servers.cleanup());
  return servers;
}
