'use strict';
/**
 * The receiving side of broadcast.js, in its own process: `count` bare TCP WebSocket clients
 * that offer permessage-deflate and count the frames they receive, reading headers only (no
 * inflating, no unmasking), so the receivers cost little CPU and the server is what is measured.
 *   { connect: port, count, offer } → { connected }
 *   { expect: messages } → { received } once every client has that many more messages
 */
const net = require('node:net');
const crypto = require('node:crypto');

const clients = [];
let waiting = null;

class Receiver {
  constructor(socket) {
    this.socket = socket;
    this.messages = 0;
    this.skip = 0; // payload bytes of the current frame still to skip
    this.head = Buffer.alloc(0);
    this.upgraded = false;
    this.rsv1 = 0;
  }

  onData(chunk) {
    if (!this.upgraded) {
      const all = Buffer.concat([this.head, chunk]);
      const end = all.indexOf('\r\n\r\n');
      if (end === -1) {
        this.head = all;
        return;
      }
      if (!/^HTTP\/1\.1 101/.test(all.toString('latin1', 0, 12))) throw new Error('upgrade refused');
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
      // Gather a whole header (2 to 10 bytes).
      const buffered =
        this.head.length > 0 ? Buffer.concat([this.head, chunk.subarray(offset)]) : chunk.subarray(offset);
      if (buffered.length < 2) return void (this.head = Buffer.from(buffered));
      const b1 = buffered[1] & 0x7f;
      const size = b1 === 126 ? 4 : b1 === 127 ? 10 : 2;
      if (buffered.length < size) return void (this.head = Buffer.from(buffered));
      const length = b1 === 126 ? buffered.readUInt16BE(2) : b1 === 127 ? Number(buffered.readBigUInt64BE(2)) : b1;
      this.fin = (buffered[0] & 0x80) !== 0;
      if ((buffered[0] & 0x40) !== 0) this.rsv1++;
      const consumedFromChunk = size - this.head.length;
      this.head = Buffer.alloc(0);
      offset += consumedFromChunk;
      this.skip = length;
      if (length === 0) this.frameDone();
    }
  }

  frameDone() {
    if (!this.fin) return;
    this.messages++;
    if (waiting !== null) waiting.check();
  }
}

function connect(port, count, offer) {
  let opened = 0;
  return new Promise((resolve) => {
    const batch = (start) => {
      for (let i = start; i < Math.min(count, start + 100); i++) {
        const socket = net.connect(port, '127.0.0.1');
        const receiver = new Receiver(socket);
        receiver.onOpen = () => {
          if (++opened === count) resolve();
          else if (opened % 100 === 0) batch(opened);
        };
        clients.push(receiver);
        socket.setNoDelay(true);
        socket.on('data', (data) => receiver.onData(data));
        socket.on('error', (error) => {
          console.error('receiver error', error.message);
          process.exit(1);
        });
        socket.write(
          'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
            `Sec-WebSocket-Extensions: ${offer}\r\n\r\n`,
        );
      }
    };
    batch(0);
  });
}

process.on('message', async (command) => {
  if (command.connect !== undefined) {
    await connect(command.connect, command.count, command.offer);
    process.send({ connected: clients.length });
  } else if (command.expect !== undefined) {
    const targets = clients.map((client) => client.messages + command.expect);
    const cpuStart = process.cpuUsage();
    waiting = {
      check() {
        for (let i = 0; i < clients.length; i++) if (clients[i].messages < targets[i]) return;
        waiting = null;
        const compressed = clients.reduce((sum, client) => sum + client.rsv1, 0);
        const cpu = process.cpuUsage(cpuStart);
        process.send({ received: true, compressed, cpuMicros: cpu.user + cpu.system });
      },
    };
    waiting.check();
  } else if (command.close) {
    for (const client of clients) client.socket.destroy();
    process.exit(0);
  }
});
