/**
 * RFC 6455 WebSocket server and client: the handshake, framing, `Server`, `connect()` and
 * `Connection`, and the `Extension` and `Plugin` interfaces.
 *
 * @packageDocumentation
 * @module @ws/core
 */
// The declarations name Node's types (Buffer, node:http): this reference, kept in the emitted
// index.d.ts, makes a consumer's compiler load the @types/node that package.json depends on.
/// <reference types="node" preserve="true" />
// Public surface of @ws/core: one explicit export list.
export { Server, type BroadcastOptions } from './server/server';
export type { PublishOptions } from './server/pub-sub';
export { Connection, type SendOptions, type SendData } from './server/connection';
export type { ServerEvents, ConnectionEvents } from './server/events';
export { SendStatus, BackpressureError, type BackpressurePolicy } from './server/backpressure';
export type {
  ServerOptions,
  VerifyClient,
  VerifyResult,
  VerifyRejection,
  ProtocolSelector,
  OriginCheck,
  TextMessages,
} from './server/options';
export type { Plugin, PluginInstance, PublishFlags } from './server/plugin';
export type { TransportKind, UpgradeRequest } from './server/transport';
export type { AttachableServer } from './server/options';
export { isWebSocketConnect } from './handshake/extended-connect';
export { TimerWheel, WheelEntry } from './server/timer-wheel';
export { rejectUnknownOptions } from './server/option-keys';
export type {
  Extension,
  ExtensionAcceptance,
  ExtensionCodec,
  ExtensionOffer,
  ExtensionParam,
  CodecContext,
  DecodeCallback,
  EncodeCallback,
  EncodeOptions,
  SharedEncoder,
} from './extension/extension';
export { SharedEncoding, type SharedEncodingWaiter } from './protocol/shared-encoding';
export { CloseCode, Opcode, Rsv1, Rsv2, Rsv3, isValidWireCloseCode } from './protocol/constants';
export { WebSocketError, ERROR_CLOSE_CODES, type WebSocketErrorCode } from './protocol/errors';
export { parseExtensionHeader, formatExtension } from './handshake/extension-header';
export { Protocol, type ProtocolHandler, type ProtocolOptions } from './protocol/protocol';
export { FrameParser, type FrameHandler } from './protocol/frame-parser';
export { FrameCollector, type OutputSink } from './protocol/frame-writer';
export { ExtensionChain } from './extension/chain';
export { connect } from './client/connect';
export type { ClientOptions } from './client/options';
export { HandshakeError, type HandshakeErrorCode } from './client/handshake-error';
export {
  reconnecting,
  Reconnecting,
  backoffDelay,
  type ReconnectOptions,
  type ReconnectEvents,
} from './client/reconnect';
