export { startChat, type ChatOptions, type ChatHandle } from './chat-server';
export {
  parseClientMessage,
  DEFAULT_LIMITS,
  type ChatLimits,
  type ClientMessage,
  type ParseResult,
  type ServerEvent,
  type ChatUser,
  type ServerIdentity,
} from './chat-protocol';
