/**
 * RFC 6455 §8.1 over a real socket (Autobahn 6.4.3-6.4.4): a text frame sent in three TCP
 * writes (valid bytes, the invalid sequence, the rest) is failed with 1007 once the middle write
 * has arrived, before the third is even sent.
 */
import { delay } from '../helpers/events';
import { useHarness } from '../helpers/harness';
import { frame, op } from '../helpers/frames';
import type { RawClient } from '../helpers/raw-ws-client';

const h = useHarness();

// Autobahn 6.4.3's text: Greek, a surrogate (ED A0 80, never valid UTF-8), then more text.
const VALID = Buffer.from('κόσμε', 'utf8');
const INVALID = Buffer.from([0xed, 0xa0, 0x80]);
const REST = Buffer.from('edited', 'utf8');
/** Long enough for the server to read each write on its own, short against the wait below. */
const PAUSE_MS = 100;
const CLOSE_WAIT_MS = 5000;

/** Cuts one masked frame into three writes at payload offsets `a` and `b`. */
function threeWrites(opcode: number, payload: Buffer, a: number, b: number, fin = true): Buffer[] {
  const wire = frame({ opcode, payload, fin });
  const start = wire.length - payload.length;
  return [wire.subarray(0, start + a), wire.subarray(start + a, start + b), wire.subarray(start + b)];
}

async function openNoDelay(port: number): Promise<RawClient> {
  const raw = await h.raw(port);
  raw.socket.setNoDelay(true);
  return raw;
}

/**
 * Writes the first two parts with a pause between them, and expects the 1007 close frame before
 * the third part is written; the third goes out afterwards (and is ignored).
 */
async function expectClosedBeforeThirdWrite(raw: RawClient, parts: Buffer[]): Promise<void> {
  raw.send(parts[0]);
  await delay(PAUSE_MS);
  expect(raw.frames).toEqual([]); // valid so far: nothing said yet
  raw.send(parts[1]);
  const answer = await raw.closeInfoOrLoss(CLOSE_WAIT_MS);
  expect(answer.code).toBe(1007);
  raw.send(parts[2]);
}

describe('RFC 6455 §8.1: invalid UTF-8 fails before the frame is complete', () => {
  it('closes 1007 after the middle write of three (valid | invalid | rest)', async () => {
    const { port, connection } = await h.server();
    const raw = await openNoDelay(port);
    const { events } = await connection();
    const payload = Buffer.concat([VALID, INVALID, REST]);
    await expectClosedBeforeThirdWrite(raw, threeWrites(op.text, payload, VALID.length, VALID.length + INVALID.length));
    const [error] = await events.nth('error');
    expect([error.code, error.closeCode]).toEqual(['WS_ERR_INVALID_UTF8', 1007]);
    await events.nth('close');
    expect(events.count('message')).toBe(0);
  });

  it('closes 1007 when the invalid sequence itself is cut by the writes (ED | A0 80 …)', async () => {
    const { port } = await h.server();
    const raw = await openNoDelay(port);
    const payload = Buffer.concat([VALID, INVALID, REST]);
    await expectClosedBeforeThirdWrite(raw, threeWrites(op.text, payload, VALID.length + 1, VALID.length + 3));
  });

  it('closes 1007 inside a continuation frame still arriving', async () => {
    const { port } = await h.server();
    const raw = await openNoDelay(port);
    raw.send(frame({ opcode: op.text, payload: 'start ', fin: false }));
    const payload = Buffer.concat([VALID, INVALID, REST]);
    await expectClosedBeforeThirdWrite(
      raw,
      threeWrites(op.continuation, payload, VALID.length, VALID.length + INVALID.length),
    );
  });

  it('closes 1007 in a 256 KiB frame whose invalid byte comes in the middle write', async () => {
    const { port } = await h.server();
    const raw = await openNoDelay(port);
    const payload = Buffer.alloc(256 * 1024, 'a');
    INVALID.copy(payload, 100 * 1024);
    await expectClosedBeforeThirdWrite(raw, threeWrites(op.text, payload, 64 * 1024, 160 * 1024));
  });

  it('still delivers valid text sent in three writes, intact', async () => {
    const { port, events } = await h.server();
    const raw = await openNoDelay(port);
    const text = 'κόσμε '.repeat(400) + '😀';
    const payload = Buffer.from(text, 'utf8');
    const parts = threeWrites(op.text, payload, 1001, payload.length - 2); // cut inside code points
    for (const part of parts) {
      raw.send(part);
      await delay(20);
    }
    const [data, , isBinary] = await events.nth('message');
    expect([data, isBinary]).toEqual([text, false]);
  });
});
