/**
 * The soak's clients: one connect / message / close cycle each, resolving once TCP is closed
 * after a clean close handshake with the echo received, rejecting on anything else.
 *
 * - `wsCycle`: the `ws` package as the client (its own handshake, masking and deflate).
 * - `rawCycle`: a bare `net` socket writing frames built once (a masked 2 KiB text message,
 *   deflated with RSV1 when deflate is offered, and a masked close 1000): on 2 shared cores it
 *   leaves more of the machine to the server, so a run of 100,000 cycles takes minutes.
 */
import net from 'node:net';
import zlib from 'node:zlib';
import WebSocket from 'ws';
import { FrameReader } from '../helpers/frames';
import { upgradeRequest } from '../helpers/raw-http';
import { closeBody, masked } from '../helpers/sans-io-frames';
import { deflateAlone } from './streams';

export const SOAK_MESSAGE = 'soak '.repeat(410); // 2050 bytes: over the server's 1 KiB threshold
const CYCLE_MS = 30_000;
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

export type Cycle = (port: number, deflate: boolean) => Promise<void>;

export const wsCycle: Cycle = (port, deflate) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: deflate ? { threshold: 0 } : false });
    let echoed = false;
    const timer = setTimeout(() => ws.terminate(), CYCLE_MS);
    ws.on('open', () => {
      if (deflate && !ws.extensions.includes('permessage-deflate')) ws.terminate();
      ws.send(SOAK_MESSAGE);
    });
    ws.on('message', (data: Buffer) => {
      echoed = data.toString('utf8') === SOAK_MESSAGE;
      ws.close(1000);
    });
    ws.on('error', () => undefined); // reported through 'close' below
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (echoed && code === 1000) resolve();
      else reject(new Error(`ws cycle ended with ${code}${echoed ? '' : ', no echo'}`));
    });
  });

const wire = {
  plain: {
    request: Buffer.from(upgradeRequest()),
    message: masked(0x1, SOAK_MESSAGE, { key: Buffer.from([1, 2, 3, 4]) }),
  },
  deflate: {
    request: Buffer.from(
      upgradeRequest({ headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' } }),
    ),
    message: masked(0x1, deflateAlone(Buffer.from(SOAK_MESSAGE)), { rsv: 0b100, key: Buffer.from([1, 2, 3, 4]) }),
  },
  close: masked(0x8, closeBody(1000), { key: Buffer.from([5, 6, 7, 8]) }),
};

export const rawCycle: Cycle = (port, deflate) =>
  new Promise((resolve, reject) => {
    const frames = deflate ? wire.deflate : wire.plain;
    const socket = net.connect(port, '127.0.0.1');
    const reader = new FrameReader();
    let head: Buffer | null = Buffer.alloc(0);
    let echoed = false;
    let closeCode = -1;
    const timer = setTimeout(() => socket.destroy(), CYCLE_MS);
    const onFrames = (chunk: Buffer): void => {
      for (const frame of reader.push(chunk)) {
        if (frame.opcode === 0x1) {
          const text =
            (frame.rsv & 0b100) !== 0
              ? zlib.inflateRawSync(Buffer.concat([frame.payload, TRAILER]), {
                  finishFlush: zlib.constants.Z_SYNC_FLUSH,
                })
              : frame.payload;
          echoed = text.toString('utf8') === SOAK_MESSAGE;
          socket.write(wire.close);
        } else if (frame.opcode === 0x8) {
          closeCode = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        }
      }
    };
    socket.on('connect', () => socket.write(frames.request));
    socket.on('data', (chunk: Buffer) => {
      if (head === null) return onFrames(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const response = head.subarray(0, end).toString('latin1');
      const rest = head.subarray(end + 4);
      head = null;
      if (!response.startsWith('HTTP/1.1 101') || (deflate && !/permessage-deflate/i.test(response))) {
        socket.destroy();
        return;
      }
      socket.write(frames.message);
      onFrames(rest);
    });
    socket.on('error', () => undefined); // reported through 'close' below
    socket.on('close', () => {
      clearTimeout(timer);
      if (echoed && closeCode === 1000) resolve();
      else reject(new Error(`raw cycle ended with close ${closeCode}${echoed ? '' : ', no echo'}`));
    });
  });
