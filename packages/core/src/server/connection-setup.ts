import type { Duplex } from 'node:stream';
import type { ExtensionChain } from '../extension/chain';
import type { BackpressureLimits } from './backpressure';
import type { Connection } from './connection';
import type { TopicRegistry } from './topic-registry';
import type { TransportKind } from './transport';

/** What a connection reports to the server that owns it (no closure per connection). */
export interface ConnectionOwner {
  onConnectionMessage(connection: Connection, data: string | Buffer, isBinary: boolean): void;
  onConnectionPing(connection: Connection, payload: Buffer): void;
  onConnectionPong(connection: Connection, payload: Buffer): void;
  onConnectionError(connection: Connection, error: Error): void;
  /** A message was not queued: the connection was at `maxBufferedAmount`. */
  onConnectionDropped(connection: Connection, byteLength: number): void;
  /** Bookkeeping only (no user code), before any `close` listener runs. */
  forgetConnection(connection: Connection): void;
  onConnectionClose(connection: Connection, code: number, reason: string, wasClean: boolean): void;
  /** Topic subscriptions; `forgetConnection` ends this connection's. */
  readonly subscriptions: Pick<TopicRegistry<Connection>, 'subscribe' | 'unsubscribe' | 'isSubscribed' | 'topicsOf'>;
}

export interface ConnectionSetup {
  readonly socket: Duplex;
  /** The request target of the upgrade (h2: the `:path`); default '' (a client connection). */
  readonly url?: string;
  /** Default 'server'. A client masks its frames and waits for the server to close TCP. */
  readonly role?: 'server' | 'client';
  /** Default `'h1'`. */
  readonly transport?: TransportKind;
  /** Default: the socket's own `remoteAddress`, read when first asked for. */
  readonly remoteAddress?: string;
  readonly owner: ConnectionOwner;
  readonly protocol: string;
  readonly extensions: string;
  readonly extensionChain: ExtensionChain | null;
  readonly allowedRsv: number;
  readonly maxPayload: number;
  readonly maxFrameSize: number;
  /** Deliver text messages as Buffers (`textMessages: 'buffer'`). Default false. */
  readonly textAsBuffer?: boolean;
  readonly closeTimeout: number;
  readonly backpressure: BackpressureLimits;
}

/** Options of {@link Connection.send}. */
export interface SendOptions {
  /** Send as binary (true) or text (false). Default: by the data's type. */
  binary?: boolean;
  /** `false` keeps extensions (permessage-deflate) from transforming this message. Default true. */
  compress?: boolean;
}

/** What `send` accepts: a string goes as text, bytes as binary (unless `binary` says otherwise). */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;
