'use strict';
// A raw load client: completes handshakes over net, then pipelines pre-masked frames and counts
// the echoes with a minimal frame reader. Cheap enough that the server is what gets measured.
const net = require('node:net');
const crypto = require('node:crypto');

function maskedFrame(payload, opcode) {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + 4 + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else if (length < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = crypto.randomBytes(4);
  mask.copy(frame, headerLength);
  for (let i = 0; i < length; i++) frame[headerLength + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}

function connect(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    let head = '';
    const onData = (chunk) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.removeListener('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.split('\r\n')[0]));
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      resolve({ socket, rest });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

/** Counts complete server frames in a stream (server frames are unmasked). */
class FrameCounter {
  constructor() {
    this.pending = 0; // payload bytes still to skip
    this.header = Buffer.alloc(10);
    this.headerFill = 0;
    this.frames = 0;
  }
  push(chunk) {
    let i = 0;
    while (i < chunk.length) {
      if (this.pending > 0) {
        const take = Math.min(this.pending, chunk.length - i);
        this.pending -= take;
        i += take;
        if (this.pending === 0) this.frames++;
        continue;
      }
      this.header[this.headerFill++] = chunk[i++];
      if (this.headerFill < 2) continue;
      const short = this.header[1] & 0x7f;
      const needed = short < 126 ? 2 : short === 126 ? 4 : 10;
      if (this.headerFill < needed) continue;
      const length =
        short < 126 ? short : short === 126 ? this.header.readUInt16BE(2) : Number(this.header.readBigUInt64BE(2));
      this.headerFill = 0;
      if (length === 0) this.frames++;
      else this.pending = length;
    }
  }
}

/**
 * Opens `connections` sockets; each sends `messages` frames of `size` bytes, at most `window`
 * unanswered at a time. Resolves with the elapsed milliseconds once every echo has arrived.
 */
async function runLoad({ port, connections, messages, size, binary, window }) {
  const payload = binary ? crypto.randomBytes(size) : Buffer.from('x'.repeat(size));
  const frame = maskedFrame(payload, binary ? 2 : 1);
  const batch = Buffer.concat(Array.from({ length: window }, () => frame));
  const clients = await Promise.all(Array.from({ length: connections }, () => connect(port)));
  const started = process.hrtime.bigint();
  await Promise.all(
    clients.map(
      ({ socket, rest }) =>
        new Promise((resolve) => {
          const counter = new FrameCounter();
          let sent = 0;
          const pump = () => {
            while (sent - counter.frames < window && sent < messages) {
              const count = Math.min(window - (sent - counter.frames), messages - sent);
              socket.write(count === window ? batch : batch.subarray(0, frame.length * count));
              sent += count;
            }
          };
          socket.on('data', (chunk) => {
            counter.push(chunk);
            if (counter.frames >= messages) {
              socket.destroy();
              resolve();
            } else pump();
          });
          if (rest.length > 0) counter.push(rest);
          pump();
        }),
    ),
  );
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Opens `count` connections, 100 handshakes at a time; resolves with their sockets and early bytes. */
async function openMany(port, count) {
  const connections = [];
  for (let i = 0; i < count; i += 100) {
    connections.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => connect(port)))));
  }
  return connections;
}

/** Opens `count` idle connections and keeps them; returns a function that closes them. */
async function openIdle(port, count) {
  const connections = await openMany(port, count);
  return () => connections.forEach(({ socket }) => socket.destroy());
}

module.exports = { runLoad, openIdle, openMany, FrameCounter };
