import { deflate, type DeflateOptions } from '@ws/deflate';
import { resolveOptions } from '../src/options';

describe('options', () => {
  it('fills in the defaults', () => {
    expect(resolveOptions()).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 12,
      clientMaxWindowBits: 12,
      requireClientMaxWindowBits: false,
      windowBitsGiven: { server: false, client: false },
      threshold: 1024,
      concurrency: 10,
      syncLimit: 32768,
      zlibDeflateOptions: { memLevel: 5 },
      zlibInflateOptions: {},
    });
  });

  it.each<[DeflateOptions, { server: boolean; client: boolean }]>([
    [{ serverMaxWindowBits: 12 }, { server: true, client: false }],
    [{ clientMaxWindowBits: 15 }, { server: false, client: true }],
    [
      { serverMaxWindowBits: 9, clientMaxWindowBits: 12 },
      { server: true, client: true },
    ],
  ])('records which window options were given, even at their default: %j', (options, given) => {
    expect(resolveOptions(options).windowBitsGiven).toEqual(given);
  });

  it.each(['treshold', 'serverMaxWindowBit', 'level'])('refuses the unknown option %s', (key) => {
    expect(() => deflate({ [key]: 1 })).toThrow(new TypeError(`deflate: unknown option "${key}"`));
  });

  it('names the extension and claims RSV1', () => {
    const extension = deflate();
    expect(extension.name).toBe('permessage-deflate');
    expect(extension.rsv).toBe(4);
  });

  it.each<[string, unknown, string]>([
    ['serverMaxWindowBits 7', { serverMaxWindowBits: 7 }, 'RangeError'],
    ['serverMaxWindowBits 16', { serverMaxWindowBits: 16 }, 'RangeError'],
    ['clientMaxWindowBits 9.5', { clientMaxWindowBits: 9.5 }, 'RangeError'],
    ['clientMaxWindowBits as a string', { clientMaxWindowBits: '10' }, 'RangeError'],
    ['threshold -1', { threshold: -1 }, 'RangeError'],
    ['threshold NaN', { threshold: NaN }, 'RangeError'],
    ['concurrency 0', { concurrency: 0 }, 'RangeError'],
    ['syncLimit -1', { syncLimit: -1 }, 'RangeError'],
    ['syncLimit 1.5', { syncLimit: 1.5 }, 'RangeError'],
    ['serverNoContextTakeover "yes"', { serverNoContextTakeover: 'yes' }, 'TypeError'],
    ['clientNoContextTakeover 1', { clientNoContextTakeover: 1 }, 'TypeError'],
    ["zlibDeflateOptions.windowBits is the negotiation's", { zlibDeflateOptions: { windowBits: 9 } }, 'TypeError'],
    ["zlibInflateOptions.flush is the extension's", { zlibInflateOptions: { flush: 2 } }, 'TypeError'],
    ['zlibDeflateOptions not an object', { zlibDeflateOptions: 3 }, 'TypeError'],
    ["level out of zlib's range", { zlibDeflateOptions: { level: 42 } }, 'RangeError'],
    ["memLevel out of zlib's range", { zlibDeflateOptions: { memLevel: 10 } }, 'RangeError'],
    ['options not an object', 5, 'TypeError'],
  ])('refuses %s with a %s', (_label, options, errorName) => {
    let thrown: unknown;
    try {
      deflate(options as DeflateOptions);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error | undefined)?.name).toBe(errorName);
  });

  it('passes zlib settings it accepts', () => {
    const extension = deflate({
      zlibDeflateOptions: { level: 1, memLevel: 4, strategy: 1, chunkSize: 4096 },
      zlibInflateOptions: { chunkSize: 8192 },
    });
    expect(extension.config.zlibDeflateOptions).toEqual({ level: 1, memLevel: 4, strategy: 1, chunkSize: 4096 });
    expect(extension.config.zlibInflateOptions).toEqual({ chunkSize: 8192 });
  });
});
