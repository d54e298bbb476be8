import { Dedupe, MAX_ORIGINS_PER_TOPIC } from '../src/dedupe';

describe('Dedupe', () => {
  const a = Buffer.from('aaaaaaaa');
  const b = Buffer.from('bbbbbbbb');

  test('accepts growing sequences per (topic, origin), refuses repeats and older ones', () => {
    const dedupe = new Dedupe();
    expect(dedupe.accept('t', a, 1)).toBe(true);
    expect(dedupe.accept('t', a, 2)).toBe(true);
    expect(dedupe.accept('t', a, 2)).toBe(false);
    expect(dedupe.accept('t', a, 1)).toBe(false);
    expect(dedupe.accept('t', b, 1)).toBe(true);
    // The origin's sequence counts all topics: another topic starts on its own.
    expect(dedupe.accept('u', a, 1)).toBe(true);
    expect(dedupe.accept('t', a, 5)).toBe(true); // gaps are other topics' publishes
  });

  test('forget clears a topic', () => {
    const dedupe = new Dedupe();
    dedupe.accept('t', a, 3);
    dedupe.forget('t');
    expect(dedupe.accept('t', a, 1)).toBe(true);
  });

  test('remembers a bounded number of origins per topic', () => {
    const dedupe = new Dedupe();
    for (let i = 0; i <= MAX_ORIGINS_PER_TOPIC; i++) {
      const origin = Buffer.alloc(8);
      origin.writeUInt32BE(i);
      dedupe.accept('t', origin, 1);
    }
    const first = Buffer.alloc(8); // origin 0 was forgotten, the last one is remembered
    expect(dedupe.accept('t', first, 1)).toBe(true);
    const last = Buffer.alloc(8);
    last.writeUInt32BE(MAX_ORIGINS_PER_TOPIC);
    expect(dedupe.accept('t', last, 1)).toBe(false);
  });
});
