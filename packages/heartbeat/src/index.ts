export { heartbeat, Heartbeat, HeartbeatPlugin } from './heartbeat';
export {
  DEFAULT_CLOSE_CODE,
  DEFAULT_CLOSE_REASON,
  DEFAULT_INTERVAL,
  resolveOptions,
  type HeartbeatOptions,
  type ResolvedHeartbeatOptions,
} from './options';
export { TimerWheel, WheelEntry } from './timer-wheel';
