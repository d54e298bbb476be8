/**
 * `hearsMessages` and `soleMessageListener` read eventemitter3's private listener table: these cases fail if an upgrade
 * of eventemitter3 changes how it keeps listeners, before any connection misses a message.
 */
import EventEmitter from 'eventemitter3';
import { hearsMessages, soleMessageListener } from '../../src/server/hears-messages';

const listener = (): void => {};

it('is false on a new emitter, and with listeners for other events only', () => {
  const emitter = new EventEmitter();
  expect(hearsMessages(emitter)).toBe(false);
  emitter.on('close', listener);
  expect(hearsMessages(emitter)).toBe(false);
});

it('follows on, a second listener, off and removeAllListeners', () => {
  const emitter = new EventEmitter();
  emitter.on('message', listener);
  expect(hearsMessages(emitter)).toBe(true);
  emitter.on('message', () => {});
  emitter.off('message', listener);
  expect(hearsMessages(emitter)).toBe(true);
  emitter.removeAllListeners('message');
  expect(hearsMessages(emitter)).toBe(false);
  emitter.addListener('message', listener);
  emitter.on('close', listener);
  emitter.removeListener('message', listener);
  expect(hearsMessages(emitter)).toBe(false);
  emitter.on('message', listener);
  emitter.removeAllListeners();
  expect(hearsMessages(emitter)).toBe(false);
});

it('is true for a once listener until it has run', () => {
  const emitter = new EventEmitter();
  emitter.once('message', listener);
  expect(hearsMessages(emitter)).toBe(true);
  emitter.emit('message');
  expect(hearsMessages(emitter)).toBe(false);
});

describe('soleMessageListener', () => {
  it('is the one plain listener, to be run as emit runs it: same this, same arguments', () => {
    const emitter = new EventEmitter();
    expect(soleMessageListener(emitter)).toBeNull();
    const seen: unknown[] = [];
    emitter.on('message', function (this: unknown, ...args: unknown[]) {
      seen.push(this, ...args);
    });
    const sole = soleMessageListener(emitter)!;
    sole.fn.call(sole.context, 'data', 7);
    emitter.emit('message', 'data', 7);
    expect(seen).toEqual([emitter, 'data', 7, emitter, 'data', 7]);
  });

  it('keeps the context given to on()', () => {
    const emitter = new EventEmitter();
    const context = { name: 'context' };
    const seen: unknown[] = [];
    emitter.on(
      'message',
      function (this: unknown) {
        seen.push(this);
      },
      context,
    );
    const sole = soleMessageListener(emitter)!;
    sole.fn.call(sole.context);
    expect(seen).toEqual([context]);
    expect(seen[0]).toBe(context);
  });

  it('is null with two listeners, with a once listener, and after off', () => {
    const emitter = new EventEmitter();
    emitter.on('message', listener);
    emitter.on('message', () => {});
    expect(soleMessageListener(emitter)).toBeNull();
    emitter.removeAllListeners('message');
    emitter.once('message', listener);
    expect(soleMessageListener(emitter)).toBeNull();
    emitter.removeAllListeners('message');
    emitter.on('message', listener);
    emitter.off('message', listener);
    expect(soleMessageListener(emitter)).toBeNull();
  });
});
