export { heartbeat, Heartbeat, HeartbeatPlugin } from './heartbeat';
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
