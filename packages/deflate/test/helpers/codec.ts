import { Rsv1, parseExtensionHeader, type EncodeOptions, type WebSocketError } from '@ws/core';
import { deflate, PerMessageDeflate, type DeflateOptions } from '@ws/deflate';
import type { DeflateCodec } from '../../src/codec';

/** A codec as a server would make it for `header`, the client's Sec-WebSocket-Extensions. */
export function makeCodec(
  options: DeflateOptions | PerMessageDeflate = {},
  header = 'permessage-deflate; client_max_window_bits',
  maxPayload = 0,
): DeflateCodec {
  const extension = options instanceof PerMessageDeflate ? options : deflate(options);
  const acceptance = extension.negotiate(parseExtensionHeader(header)!);
  if (acceptance === null) throw new Error(`offer declined: ${header}`);
  return acceptance.createCodec({ maxPayload }) as DeflateCodec;
}

export interface Encoded {
  payload: Buffer;
  rsv: number;
}

const TEXT: EncodeOptions = { binary: false, compress: true };

export function encode(codec: DeflateCodec, message: Buffer, options: EncodeOptions = TEXT): Promise<Encoded> {
  return new Promise((resolve, reject) => {
    codec.encode(message, 0, options, (error, payload, rsv) => {
      if (error !== null || payload === null) reject(error ?? new Error('no payload'));
      else resolve({ payload, rsv });
    });
  });
}

/** Decodes one frame; rejects with the codec's WebSocketError. */
export function decodeFrame(codec: DeflateCodec, frame: Buffer, fin: boolean, rsv = Rsv1): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    codec.decode(frame, rsv, fin, (error, payload) => {
      if (error !== null || payload === null) reject(error ?? new Error('no payload'));
      else resolve(payload);
    });
  });
}

/** Decodes a message given as its frames, in order; resolves to the joined output. */
export async function decodeMessage(codec: DeflateCodec, frames: readonly Buffer[], rsv = Rsv1): Promise<Buffer> {
  const out: Buffer[] = [];
  for (let i = 0; i < frames.length; i++) out.push(await decodeFrame(codec, frames[i], i === frames.length - 1, rsv));
  return Buffer.concat(out);
}

/** Splits a buffer at the given sizes (the rest in a last piece). */
export function split(buffer: Buffer, sizes: readonly number[]): Buffer[] {
  const parts: Buffer[] = [];
  let offset = 0;
  for (const size of sizes) {
    parts.push(buffer.subarray(offset, offset + size));
    offset += size;
  }
  parts.push(buffer.subarray(offset));
  return parts;
}

export async function rejection(promise: Promise<unknown>): Promise<WebSocketError> {
  try {
    await promise;
  } catch (error) {
    return error as WebSocketError;
  }
  throw new Error('expected a rejection');
}
