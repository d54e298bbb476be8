'use strict';
/**
 * The client side of echo.js, in its own process: `count` bare TCP clients that agreed on
 * permessage-deflate without context takeover, each keeping `inFlight` copies of one
 * precompressed, premasked 16 KiB JSON message in flight and counting the echoes by their
 * headers (no inflating), so that the server is what the benchmark measures.
 *   { connect: port, count } → { connected }
 *   { run: messages, inFlight } → { done, seconds, cpuMicros }
 */
const net = require('node:net');
const crypto = require('node:crypto');
const zlib = require('node:zlib');
const { json } = require('./payloads');

const OFFER = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits';

function precompressedFrame() {
  const raw = zlib.deflateRawSync(Buffer.from(json(16 * 1024)), {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
    windowBits: 12, // within the client window either server may ask for
  });
  if (!raw.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))) throw new Error('no sync flush trailer');
  const payload = raw.subarray(0, raw.length - 4); // RFC 7692 §7.2.1: no trailer
  const mask = crypto.randomBytes(4);
  const header = Buffer.alloc(payload.length < 65536 ? 8 : 14);
  header[0] = 0x80 | 0x40 | 0x1; // FIN, RSV1, text
  let offset;
  if (payload.length < 126) throw new Error('payload too small');
  if (payload.length < 65536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(payload.length, 2);
    offset = 4;
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
    offset = 10;
  }
  mask.copy(header, offset);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([header, masked]);
}

const FRAME = precompressedFrame();
const clients = [];
let run = null;

class Client {
  constructor(socket) {
    this.socket = socket;
    this.upgraded = false;
    this.head = Buffer.alloc(0);
    this.skip = 0;
    this.fin = false;
  }

  onData(chunk) {
    if (!this.upgraded) {
      const all = Buffer.concat([this.head, chunk]);
      const end = all.indexOf('\r\n\r\n');
      if (end === -1) return void (this.head = all);
      const head = all.toString('latin1', 0, end);
      if (!/^HTTP\/1\.1 101/.test(head) || !/permessage-deflate/i.test(head)) throw new Error('no deflate');
      this.upgraded = true;
      this.head = Buffer.alloc(0);
      this.onOpen();
      chunk = all.subarray(end + 4);
    }
    let offset = 0;
    while (offset < chunk.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - offset);
        this.skip -= take;
        offset += take;
        if (this.skip === 0) this.frameDone();
        continue;
      }
      const rest = chunk.subarray(offset);
      const buffered = this.head.length > 0 ? Buffer.concat([this.head, rest]) : rest;
      if (buffered.length < 2) return void (this.head = Buffer.from(buffered));
      const b1 = buffered[1] & 0x7f;
      const size = b1 === 126 ? 4 : b1 === 127 ? 10 : 2;
      if (buffered.length < size) return void (this.head = Buffer.from(buffered));
      const length = b1 === 126 ? buffered.readUInt16BE(2) : b1 === 127 ? Number(buffered.readBigUInt64BE(2)) : b1;
      this.fin = (buffered[0] & 0x80) !== 0;
      if ((buffered[0] & 0x0f) === 0x8) {
        console.error('the server closed a connection');
        process.exit(1);
      }
      offset += size - this.head.length;
      this.head = Buffer.alloc(0);
      this.skip = length;
      if (length === 0) this.frameDone();
    }
  }

  frameDone() {
    if (!this.fin || run === null) return;
    run.received++;
    if (run.sent < run.total) {
      run.sent++;
      this.socket.write(FRAME);
    } else if (run.received === run.total) {
      const seconds = Number(process.hrtime.bigint() - run.started) / 1e9;
      const cpu = process.cpuUsage(run.cpu);
      run = null;
      process.send({ done: true, seconds, cpuMicros: cpu.user + cpu.system });
    }
  }
}

function connect(port, count) {
  return new Promise((resolve) => {
    let opened = 0;
    for (let i = 0; i < count; i++) {
      const socket = net.connect(port, '127.0.0.1');
      const client = new Client(socket);
      client.onOpen = () => {
        if (++opened === count) resolve();
      };
      clients.push(client);
      socket.setNoDelay(true);
      socket.on('data', (data) => client.onData(data));
      socket.on('error', (error) => {
        console.error('client error', error.message);
        process.exit(1);
      });
      socket.write(
        'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Extensions: ${OFFER}\r\n\r\n`,
      );
    }
  });
}

process.on('message', async (command) => {
  if (command.connect !== undefined) {
    await connect(command.connect, command.count);
    process.send({ connected: clients.length });
  } else if (command.run !== undefined) {
    run = { total: command.run, sent: 0, received: 0, started: process.hrtime.bigint(), cpu: process.cpuUsage() };
    for (const client of clients) {
      for (let i = 0; i < command.inFlight && run.sent < run.total; i++) {
        run.sent++;
        client.socket.write(FRAME);
      }
    }
  } else if (command.close) {
    for (const client of clients) client.socket.destroy();
    process.exit(0);
  }
});
