/**
 * permessage-deflate (RFC 7692) on a WebSocket over an HTTP/2 stream (RFC 8441): offered and
 * answered in the stream's headers, and compressed frames both ways, exactly as on HTTP/1.1.
 */
import * as zlib from 'node:zlib';
import type { Connection } from '@ws/core';
import { deflate } from '@ws/deflate';
import { openH2 } from '../../core/test/helpers/h2-client';
import { useH2Harness } from '../../core/test/helpers/h2-harness';
import { frame, op } from '../../core/test/helpers/frames';

const h2 = useH2Harness();
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const RSV1 = 4;

/** RFC 7692 §7.2.1: a raw DEFLATE block, sync-flushed, without the final 4 bytes. */
function compress(text: string): Buffer {
  const out = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - TAIL.length);
}

function decompress(payload: Buffer): string {
  return zlib.inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString();
}

it('negotiates permessage-deflate on the stream and echoes compressed messages', async () => {
  const { port, server } = await h2.server({ extensions: [deflate()] });
  server.on('connection', (connection: Connection) => connection.on('message', (data) => connection.send(data)));
  const client = await openH2(await h2.session(port), {
    headers: { 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits' },
  });
  expect(client.responseHeaders['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
  const text = 'compressed over an HTTP/2 stream '.repeat(40);
  client.send(frame({ opcode: op.text, rsv: RSV1, payload: compress(text) }));
  const echoed = await client.frameAt(1);
  expect([echoed.opcode, echoed.rsv]).toEqual([op.text, RSV1]);
  expect(echoed.payload.length).toBeLessThan(text.length / 4);
  expect(decompress(echoed.payload)).toBe(text);
});

it('fails a compressed frame when nothing was negotiated (1002)', async () => {
  const { port } = await h2.server({ extensions: [deflate()] });
  const client = await openH2(await h2.session(port));
  expect(client.responseHeaders['sec-websocket-extensions']).toBeUndefined();
  client.send(frame({ opcode: op.text, rsv: RSV1, payload: compress('no') }));
  expect(await client.closeCode()).toBe(1002);
});
