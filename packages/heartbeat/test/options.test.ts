import { heartbeat, resolveOptions, type HeartbeatOptions } from '@ws/heartbeat';

describe('heartbeat options', () => {
  it('defaults: 5 s interval (the seed ping_interval), timeout = interval, code 1011, empty payload', () => {
    const options = resolveOptions();
    expect(options).toMatchObject({
      interval: 5000,
      timeout: 5000,
      countActivity: false,
      closeCode: 1011,
      closeReason: 'heartbeat timeout',
      slots: 100, // ticks of 50 ms
    });
    expect(options.payload).toEqual(Buffer.alloc(0));
  });

  it.each([
    // options, tickMs, intervalTicks, timeoutTicks
    [{ interval: 5000 }, 50, 100, 100],
    [{ interval: 30000 }, 50, 600, 600],
    [{ interval: 1000 }, 31, 32, 33],
    [{ interval: 5000, slots: 32 }, 156, 32, 33],
    [{ interval: 100 }, 10, 10, 10],
    [{ interval: 100, timeout: 35 }, 10, 10, 4], // rounded up: a peer never gets less than timeout
    [{ interval: 100, timeout: 1000 }, 10, 10, 100],
    [{ interval: 50, slots: 1 }, 50, 1, 1],
    [{ interval: 5 }, 5, 1, 1],
    [{ interval: 1 }, 1, 1, 1],
  ] as Array<[HeartbeatOptions, number, number, number]>)(
    '%j → tick %i ms, interval %i ticks, timeout %i ticks',
    (input, tickMs, intervalTicks, timeoutTicks) => {
      expect(resolveOptions(input)).toMatchObject({ tickMs, intervalTicks, timeoutTicks });
    },
  );

  it('turns a string payload into its UTF-8 bytes, and copies a Buffer', () => {
    expect(resolveOptions({ payload: 'hé' }).payload).toEqual(Buffer.from('hé'));
    const mine = Buffer.from('abc');
    const resolved = resolveOptions({ payload: mine }).payload;
    mine[0] = 0x7a;
    expect(resolved.toString()).toBe('abc');
  });

  it('accepts a 125-byte payload and a 123-byte reason (RFC 6455 §5.5)', () => {
    expect(resolveOptions({ payload: 'x'.repeat(125) }).payload).toHaveLength(125);
    expect(resolveOptions({ closeReason: 'é'.repeat(61) + 'x' }).closeReason).toHaveLength(62);
  });

  it.each([
    [{ interval: 0 }, RangeError, /interval/],
    [{ interval: -5 }, RangeError, /interval/],
    [{ interval: 2 ** 31 }, RangeError, /interval/],
    [{ interval: Infinity }, RangeError, /interval/],
    [{ interval: NaN }, TypeError, /interval/],
    [{ interval: '5000' }, TypeError, /interval/],
    [{ timeout: 0 }, RangeError, /timeout/],
    [{ timeout: null }, TypeError, /timeout/],
    [{ payload: 'x'.repeat(126) }, RangeError, /125/],
    [{ payload: Buffer.alloc(126) }, RangeError, /125/],
    [{ payload: 42 }, TypeError, /payload/],
    [{ countActivity: 'yes' }, TypeError, /countActivity/],
    [{ closeCode: 1005 }, RangeError, /closeCode/],
    [{ closeCode: 1006 }, RangeError, /closeCode/],
    [{ closeCode: 1015 }, RangeError, /closeCode/],
    [{ closeCode: 2000 }, RangeError, /closeCode/],
    [{ closeCode: 5000 }, RangeError, /closeCode/],
    [{ closeCode: 4000.5 }, TypeError, /closeCode/],
    [{ closeReason: 'x'.repeat(124) }, RangeError, /123/],
    [{ closeReason: 'é'.repeat(62) }, RangeError, /123/],
    [{ closeReason: '\ud800' }, RangeError, /Unicode/],
    [{ closeReason: 7 }, TypeError, /closeReason/],
    [{ slots: 0 }, RangeError, /slots/],
    [{ interval: 10, slots: 11 }, RangeError, /slots/],
    [{ slots: 2.5 }, TypeError, /slots/],
    [{ pingInterval: 1000 }, TypeError, /unknown option "pingInterval"/],
  ])('rejects %p at construction', (input, type, message) => {
    expect(() => heartbeat(input as HeartbeatOptions)).toThrow(type);
    expect(() => heartbeat(input as HeartbeatOptions)).toThrow(message);
  });

  it.each([1000, 1008, 1011, 1014, 3000, 4000, 4999])('accepts close code %i', (closeCode) => {
    expect(resolveOptions({ closeCode }).closeCode).toBe(closeCode);
  });

  it('rejects options that are not an object', () => {
    expect(() => heartbeat(null as unknown as HeartbeatOptions)).toThrow(TypeError);
    expect(() => heartbeat(5000 as unknown as HeartbeatOptions)).toThrow(TypeError);
  });
});
