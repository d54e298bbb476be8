/**
 * `hearsMessages` reads eventemitter3's private listener table: these cases fail if an upgrade
 * of eventemitter3 changes how it keeps listeners, before any connection misses a message.
 */
import EventEmitter from 'eventemitter3';
import { hearsMessages } from '../../src/server/hears-messages';

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
