/**
 * Ping/pong keep-alive for `@ws/core`, as a `Plugin`: `heartbeat(options)` for a server's
 * connections, `heartbeat(options).watch(connection)` for one connection (a client's).
 *
 * @packageDocumentation
 * @module @ws/heartbeat
 */
// The declarations name Node's types (Buffer, node:http): this reference, kept in the emitted
// index.d.ts, makes a consumer's compiler load the @types/node that package.json depends on.
/// <reference types="node" preserve="true" />
export { heartbeat, Heartbeat, HeartbeatPlugin } from './heartbeat';
export { HeartbeatWatch } from './watch';
export {
  DEFAULT_CLOSE_CODE,
  DEFAULT_CLOSE_REASON,
  DEFAULT_INTERVAL,
  resolveOptions,
  type HeartbeatOptions,
  type ResolvedHeartbeatOptions,
} from './options';
// The wheel moved into core (the server's deadlines use it too); re-exported so imports keep working.
export { TimerWheel, WheelEntry } from '@ws/core';
