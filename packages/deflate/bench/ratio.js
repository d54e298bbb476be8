'use strict';
/**
 * The compression-ratio cost of the defaults (windows of 12, memLevel 5) against zlib's own
 * (15, 8), per message, with and without context takeover, on a few kinds of payload.
 *   node packages/deflate/bench/ratio.js
 */
const zlib = require('node:zlib');
const crypto = require('node:crypto');
const { json } = require('./payloads');

/** Prose-like text: words drawn by a seeded generator (not a short cycle zlib would see through). */
function text(bytes, seed) {
  const words = (
    'the server sends a message to every client of its room when someone joins or leaves and ' +
    'each client answers with its state which the others read before they draw the next frame'
  ).split(' ');
  let state = seed + 1;
  let out = '';
  while (out.length < bytes) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += words[state % words.length] + (state % 13 === 0 ? '.\n' : ' ');
  }
  return out;
}

/** Binary like a game's state updates: a few fields of counters and floats, some noise. */
function binary(bytes, seed) {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i + 16 <= bytes; i += 16) {
    out.writeUInt32LE(seed * 1000 + i / 16, i);
    out.writeFloatLE(Math.sin(i / 160) * 100, i + 4);
    out.writeUInt32LE(i % 7, i + 8);
    crypto.randomFillSync(out, i + 12, 4);
  }
  return out;
}

const PAYLOADS = [
  ['JSON 16 KiB', (seed) => Buffer.from(json(16 * 1024, seed))],
  ['JSON 1 KiB', (seed) => Buffer.from(json(1024, seed))],
  ['text 16 KiB', (seed) => Buffer.from(text(16 * 1024, seed))],
  ['text 64 KiB', (seed) => Buffer.from(text(64 * 1024, seed))],
  ['binary 16 KiB', (seed) => binary(16 * 1024, seed)],
];

/** One write through `stream` with a sync flush: the compressed message (trailer included). */
function write(stream, message) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const onData = (chunk) => chunks.push(chunk);
    stream.on('data', onData);
    stream.write(message, (error) => {
      stream.off('data', onData);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    });
  });
}

/** Input over output for 20 messages through one stream, kept (takeover) or reset after each. */
async function ratio(make, settings, takeover) {
  const stream = zlib.createDeflateRaw({ ...settings, flush: zlib.constants.Z_SYNC_FLUSH });
  let total = 0;
  let input = 0;
  for (let seed = 0; seed < 20; seed++) {
    const message = make(seed);
    input += message.length;
    total += (await write(stream, message)).length - 4;
    if (!takeover) stream.reset();
  }
  stream.close();
  return input / total;
}

async function main() {
  console.log(
    `node ${process.version}, zlib ${process.versions.zlib}; 20 messages each, compressed size as % of input`,
  );
  console.log('| payload | takeover | window 15, memLevel 8 | window 12, memLevel 5 (default) | cost |');
  console.log('|---|---|---:|---:|---:|');
  for (const [name, make] of PAYLOADS) {
    for (const takeover of [false, true]) {
      const old = await ratio(make, { windowBits: 15, memLevel: 8 }, takeover);
      const now = await ratio(make, { windowBits: 12, memLevel: 5 }, takeover);
      const pct = (r) => `${(100 / r).toFixed(1)}%`;
      const cost = ((old / now - 1) * 100).toFixed(1);
      console.log(
        `| ${name} | ${takeover ? 'yes' : 'no'} | ${pct(old)} | ${pct(now)} | ${cost >= 0 ? '+' : ''}${cost}% bytes |`,
      );
    }
  }
}

main();
