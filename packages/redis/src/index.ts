/**
 * Cross-process `server.publish` for `@ws/core` through Redis, as a `Plugin`: `redisAdapter(options)`.
 *
 * @packageDocumentation
 * @module @ws/redis
 */
// The declarations name Node's types (Buffer): this reference, kept in the emitted index.d.ts,
// makes a consumer's compiler load the @types/node that package.json depends on.
/// <reference types="node" preserve="true" />
export { redisAdapter, RedisAdapter, RedisAdapterPlugin, type RedisAdapterEvents } from './adapter';
export {
  DEFAULT_BUFFER_BYTES,
  DEFAULT_BUFFER_MESSAGES,
  DEFAULT_MAX_LEN,
  DEFAULT_PREFIX,
  DEFAULT_READ_COUNT,
  DEFAULT_URL,
  resolveOptions,
  type RedisAdapterMode,
  type RedisAdapterOptions,
  type ResolvedRedisAdapterOptions,
} from './options';
export type { DropReason, DropReport } from './reports';
export { decodeEnvelope, encodeEnvelope, HEADER_BYTES, type Envelope } from './envelope';
