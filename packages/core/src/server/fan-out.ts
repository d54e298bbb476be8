import { isUtf8 } from 'node:buffer';
import { Opcode } from '../protocol/constants';
import { FrameCollector, writeMessage } from '../protocol/frame-writer';
import type { EncodeOptions, SharedEncoder } from '../extension/extension';
import { SharedEncoding } from '../protocol/shared-encoding';
import type { Connection, SendData, SendOptions } from './connection';
import { toBuffer } from './to-buffer';

/**
 * One message going to many connections (`broadcast`, `publish`). Its frames are built once, on
 * the first connection that takes them as they are, and the same bytes are written to every
 * such connection. A connection whose extensions transform messages (compression) gets the
 * message encoded once per distinct `SharedEncoder` its codec names (the same bytes for every
 * connection with that encoder, each queued in its own order), or, when its codec cannot share
 * (context takeover), encodes its own copy. Every delivery goes through `Connection.send`,
 * `sendShared` or `sendFrames`, so what those do with a slow consumer applies here too, one
 * connection at a time.
 *
 * Each connection a fan-out writes to stays corked until the next tick (as uWebSockets gathers
 * a loop iteration's messages per subscriber): a burst of messages to many connections costs
 * one writev per connection, not one per message. Order is kept, since everything written to a
 * connection in that tick waits behind the same cork. What waits is bounded: past FLUSH_BYTES
 * the batch leaves at once, so a long burst to a fast reader does not look like a slow consumer.
 */
export class PreparedMessage {
  /** The message bytes (UTF-8 for text): a view on the caller's data, not a copy. */
  readonly payload: Buffer;
  readonly binary: boolean;
  readonly compress: boolean;
  private readonly sendOptions: EncodeOptions;
  private frames: Buffer[] | null = null;
  /** Encoders met so far and their encoding of this message (index i of one goes with i of the other). */
  private encoders: SharedEncoder[] | null = null;
  private encodings: SharedEncoding[] | null = null;

  constructor(
    data: SendData,
    options: SendOptions,
    private readonly maxFrameSize: number,
  ) {
    const isText = typeof data === 'string';
    this.payload = isText ? Buffer.from(data, 'utf8') : toBuffer(data);
    this.binary = options.binary ?? !isText;
    // Checked once here rather than by each connection: a text frame must be UTF-8 (RFC 6455 §5.6).
    if (!this.binary && !isText && !isUtf8(this.payload)) {
      throw new TypeError('a message sent with { binary: false } needs valid UTF-8 data');
    }
    this.compress = options.compress !== false;
    this.sendOptions = { binary: this.binary, compress: this.compress };
  }

  /** Sends the message on `connection` if it is open. */
  deliverTo(connection: Connection): void {
    if (!connection.isOpen) return;
    if (!connection.acceptsRawFrames) {
      // Written when the encoding is done (asynchronous): nothing to hold.
      const encoder = connection.sharedEncoder(this.binary, this.compress, this.payload.length);
      if (encoder === null) connection.send(this.payload, this.sendOptions);
      else connection.sendShared(this.encodingFor(encoder));
      return;
    }
    holdUntilNextTick(connection);
    if (this.frames === null) {
      const collector = new FrameCollector();
      writeMessage(collector, this.binary ? Opcode.Binary : Opcode.Text, this.payload, 0, this.maxFrameSize);
      this.frames = collector.chunks;
    }
    connection.sendFrames(this.frames);
    if (connection.bufferedAmount > FLUSH_BYTES) flushHeld(connection);
  }

  /** This message encoded by `encoder`: started on first use, then the same for every connection. */
  private encodingFor(encoder: SharedEncoder): SharedEncoding {
    // A broadcast meets one encoder per distinct negotiated configuration: a few at most.
    if (this.encoders === null) {
      this.encoders = [];
      this.encodings = [];
    }
    const index = this.encoders.indexOf(encoder);
    if (index !== -1) return this.encodings![index];
    const encoding = new SharedEncoding(encoder, this.payload, this.sendOptions);
    this.encoders.push(encoder);
    this.encodings!.push(encoding);
    return encoding;
  }
}

/**
 * Delivers `message` to each open connection of `targets` except `except` and those `filter`
 * refuses (asked only about open connections).
 */
export function fanOut(
  message: PreparedMessage,
  targets: Iterable<Connection>,
  except?: Connection,
  filter?: (connection: Connection) => boolean,
): void {
  for (const connection of targets) {
    if (connection === except || !connection.isOpen) continue;
    if (filter !== undefined && !filter(connection)) continue;
    message.deliverTo(connection);
  }
}

/** Bytes a held connection gathers before they are written without waiting for the tick's end. */
const FLUSH_BYTES = 64 * 1024;
const heldThisTick = new Set<Connection>();

function holdUntilNextTick(connection: Connection): void {
  if (heldThisTick.has(connection)) return;
  if (heldThisTick.size === 0) process.nextTick(releaseHeld);
  heldThisTick.add(connection);
  connection.cork();
}

/** Writes what `connection` gathered so far and keeps holding it (the cork count stays one). */
function flushHeld(connection: Connection): void {
  connection.uncork();
  connection.cork();
}

function releaseHeld(): void {
  for (const connection of heldThisTick) connection.uncork();
  heldThisTick.clear();
}
