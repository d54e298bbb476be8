/**
 * The output batch's own bookkeeping (output-batch.ts), on in-memory Duplexes: a receive
 * nested in a write, as a Duplex that delivers at once makes one, must hold its frames apart
 * from the outer batch's. (Frames written in place over TCP: integration/output-batch.test.ts.)
 */
import { Duplex } from 'node:stream';
import { OutputBatch } from '../../src/server/output-batch';

/** A Duplex that records what is written to it; `onWrite` runs inside each write. */
function recorder(onWrite: () => void = () => {}): { socket: Duplex; chunks: string[] } {
  const chunks: string[] = [];
  const socket = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      onWrite();
      callback();
    },
  });
  return { socket, chunks };
}

describe.each([
  ['merged into one write', 100],
  ['written corked, one chunk each', 30 * 1024],
])('a receive nested in the write of a batch %s', (_name, size) => {
  it('holds its own frames apart and writes them to its own socket only', () => {
    const batch = new OutputBatch();
    const answer = 'i'.repeat(30 * 1024); // large enough to be written corked
    const inner = recorder();
    let nested = false;
    const outer = recorder(() => {
      if (nested) return;
      nested = true; // the peer of `outer` receives at once, and answers
      const previous = batch.open(inner.socket);
      batch.add(Buffer.from(answer), undefined);
      batch.close(previous);
    });
    const frames = ['a', 'b', 'c'].map((letter) => letter.repeat(size));
    const previous = batch.open(outer.socket);
    for (const frame of frames) batch.add(Buffer.from(frame), undefined);
    batch.close(previous);
    expect(inner.chunks.join('')).toBe(answer);
    expect(outer.chunks.join('')).toBe(frames.join(''));
  });
});
