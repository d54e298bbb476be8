import type EventEmitter from 'eventemitter3';

/** eventemitter3's table of listeners: one entry per event name, absent when none (5.0.4, pinned). */
type ListenerTable = { readonly _events: Record<string, unknown> };

/**
 * Whether `emitter` has a `message` listener, read from eventemitter3's own table. `emit` looks
 * the event up with one keyed load shared by every emitter and event in the process, which is
 * megamorphic and costs about 30 ns even when nothing listens; this load has a call site of its
 * own. Most applications listen on the server, so a connection's `message` emit is skipped.
 */
export function hearsMessages(emitter: EventEmitter): boolean {
  return (emitter as unknown as ListenerTable)._events.message !== undefined;
}
