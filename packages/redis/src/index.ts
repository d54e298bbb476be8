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
