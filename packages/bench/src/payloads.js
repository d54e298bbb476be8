'use strict';
// Message bodies: the JSON document of the deflate rows, its compressed form (what a client
// sends, what the ceiling broadcasts), and unmasked server frames for the raw ceiling.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

/** A JSON array of chat-like records, `bytes` long or a little more: deterministic. */
function jsonDocument(bytes) {
  const records = [];
  let length = 2;
  for (let i = 0; length < bytes; i++) {
    const record = JSON.stringify({
      id: 100000 + i,
      user: `user-${(i * 7919) % 1000}`,
      room: ['general', 'random', 'support', 'dev'][i % 4],
      text: `message number ${i} about ${['deploys', 'lunch', 'the build', 'tests'][i % 4]}`,
      at: 1764633600000 + i * 1337,
      read: i % 3 === 0,
    });
    records.push(record);
    length += record.length + 1;
  }
  return `[${records.join(',')}]`;
}

/** permessage-deflate body of one message: raw DEFLATE, sync-flushed, tail removed (RFC 7692). */
function deflateMessage(text, windowBits) {
  const compressed = zlib.deflateRawSync(Buffer.from(text), { windowBits, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return compressed.subarray(0, compressed.length - 4);
}

/** An unmasked server frame (FIN set), as a latin1 string that crosses IPC as is. */
function serverFrame(payload, opcode, rsv1 = false) {
  const length = payload.length;
  const header = Buffer.alloc(length < 126 ? 2 : length < 65536 ? 4 : 10);
  header[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (length < 126) header[1] = length;
  else if (length < 65536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]).toString('latin1');
}

/** Writes bytes to a temporary file for the generator's --payload-file; returns its path. */
function payloadFile(name, bytes) {
  const file = path.join(os.tmpdir(), `ws-bench-${process.pid}-${name}`);
  fs.writeFileSync(file, bytes);
  return file;
}

/**
 * The generator options for a scenario's messages: plain `size` bytes, or with `json` the
 * document compressed as a client would (RSV1 set).
 */
function generatorPayload(params) {
  if (!params.json) return { size: params.size, binary: Boolean(params.binary) };
  const body = deflateMessage(jsonDocument(params.json), 12);
  return { payloadFile: payloadFile(`deflate-${params.json}`, body), rsv1: true };
}

module.exports = { jsonDocument, deflateMessage, serverFrame, generatorPayload };
