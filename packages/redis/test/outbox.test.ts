import { Outbox, type OutboxEntry } from '../src/outbox';

const entry = (name: string, size = 10): OutboxEntry => ({ key: name, message: Buffer.alloc(size), bytes: size });
const drain = (outbox: Outbox): string[] => {
  const sent: string[] = [];
  for (let next = outbox.next(); next !== undefined; next = outbox.next()) sent.push(next.key);
  return sent;
};

describe('Outbox', () => {
  test('sends in order, once each, until acknowledged or rewound', () => {
    const outbox = new Outbox(100, 1000);
    for (const name of ['a', 'b', 'c']) outbox.push(entry(name));
    expect(drain(outbox)).toEqual(['a', 'b', 'c']);
    expect(drain(outbox)).toEqual([]);
    outbox.acknowledge();
    expect(outbox.unconfirmed).toBe(2);
    outbox.rewindInFlight(); // the connection broke: b and c go again, a does not
    expect(drain(outbox)).toEqual(['b', 'c']);
    outbox.rewindAll(); // Redis lost its data: everything kept goes again
    expect(drain(outbox)).toEqual(['a', 'b', 'c']);
  });

  test('bounded by count: acknowledged entries make room, then new ones are refused', () => {
    const outbox = new Outbox(2, 1000);
    expect(outbox.push(entry('a'))).toBe(true);
    expect(outbox.push(entry('b'))).toBe(true);
    expect(outbox.push(entry('c'))).toBe(false);
    drain(outbox);
    outbox.acknowledge();
    expect(outbox.push(entry('c'))).toBe(true); // a was acknowledged: it made room
    expect(outbox.size).toBe(2);
    outbox.rewindAll();
    expect(drain(outbox)).toEqual(['b', 'c']);
  });

  test('bounded by bytes', () => {
    const outbox = new Outbox(100, 25);
    expect(outbox.push(entry('a', 10))).toBe(true);
    expect(outbox.push(entry('b', 10))).toBe(true);
    expect(outbox.push(entry('c', 10))).toBe(false);
    expect(outbox.push(entry('d', 5))).toBe(true);
    expect(outbox.bytes).toBe(25);
    expect(outbox.push(entry('huge', 26))).toBe(false);
  });

  test('clearUnconfirmed counts what never reached Redis', () => {
    const outbox = new Outbox(100, 1000);
    for (const name of ['a', 'b', 'c']) outbox.push(entry(name, 4));
    drain(outbox);
    outbox.acknowledge();
    expect(outbox.clearUnconfirmed()).toEqual({ messages: 2, bytes: 8 });
    expect(outbox.unconfirmed).toBe(0);
    expect(outbox.bytes).toBe(4);
  });

  test('keeps order over many entries (the consumed prefix is compacted)', () => {
    const outbox = new Outbox(3000, 1e9);
    const sent: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      outbox.push(entry(String(i), 1));
      const next = outbox.next()!;
      sent.push(next.key);
      outbox.acknowledge();
    }
    expect(sent).toEqual(Array.from({ length: 10_000 }, (_, i) => String(i)));
    expect(outbox.size).toBe(3000);
    outbox.rewindAll();
    expect(drain(outbox)[0]).toBe('7000');
  });
});
