/**
 * Feeds one hostile stream, in its TCP cuts, into a sans-I/O `Protocol` (with the real
 * permessage-deflate codec when the profile has it) and checks the contract:
 *
 * - nothing throws out of `receive()`, and input never stays paused (no hang);
 * - the bytes held stay under maxPayload plus a frame header whenever input is not paused;
 * - every ping is answered with its payload; at most one close frame goes out, last, with a
 *   code a server may send; a failure's close frame carries that failure's code;
 * - the close code and the messages delivered meet the stream's expectation.
 */
import { ExtensionChain, Protocol, Rsv1, parseExtensionHeader, type Extension } from '@ws/core';
import { deflate } from '@ws/deflate';
import { cutAt, serverFrames } from '../helpers/sans-io-frames';
import { ArraySink, RecordingHandler } from '../helpers/sans-io-harness';
import { EMPTY_CLOSE, NO_CLOSE, checkOutcome, type Expectation, type Observed } from './expectation';
import type { Random } from './random';
import type { Message, Profile } from './streams';

/** A frame header is at most 14 bytes (2 + 8 length + 4 key). */
const HEADER_BOUND = 14;
const SETTLE_MS = 5000;

const OFFERS = ['permessage-deflate; client_max_window_bits', 'permessage-deflate; client_no_context_takeover'];

export interface SansIoResult {
  readonly observed: Observed;
  /** Empty when every check held. */
  readonly problems: string[];
  /** The most bytes held while input was not waiting on an extension. */
  readonly peakBuffered: number;
}

/** Makes protocols for one profile; one extension object serves every stream, as in a server. */
export class SansIoRunner {
  private readonly extension: Extension | null;

  constructor(readonly profile: Profile) {
    this.extension = profile.deflate ? deflate() : null;
  }

  async run(bytes: Buffer, cuts: readonly number[], expect: Expectation, random: Random): Promise<SansIoResult> {
    const { profile } = this;
    const sink = new ArraySink();
    const handler = new RecordingHandler();
    const protocol = new Protocol(sink, handler, {
      maxPayload: profile.maxPayload,
      maxFrameSize: 1 << 20,
      allowedRsv: this.extension === null ? 0 : Rsv1,
      extensions: this.chain(random),
    });
    const problems: string[] = [];
    let peakBuffered = 0;
    const bound = profile.maxPayload + HEADER_BOUND;
    for (const piece of cutAt(bytes, cuts)) {
      try {
        protocol.receive(Buffer.from(piece)); // a copy: the parser unmasks in place
      } catch (error) {
        problems.push(`receive() threw: ${(error as Error).stack ?? String(error)}`);
        break;
      }
      // While input waits on an extension it piles up; the I/O layer bounds that by pausing the socket.
      if (!protocol.isInputPaused) peakBuffered = Math.max(peakBuffered, protocol.bufferedInput);
      if (!protocol.isInputPaused && protocol.bufferedInput > bound) {
        problems.push(`${protocol.bufferedInput} bytes buffered, over ${bound}`);
      }
      // Sometimes let an asynchronous inflate finish before the next piece, sometimes not.
      if (protocol.isInputPaused && random.chance(0.5)) await settle(protocol, SETTLE_MS);
    }
    if (!(await settle(protocol, SETTLE_MS))) problems.push(`input still paused after ${SETTLE_MS} ms`);
    if (protocol.bufferedInput > bound) problems.push(`${protocol.bufferedInput} bytes left buffered, over ${bound}`);
    const observed = observe(sink, handler, problems);
    protocol.dispose();
    const mismatch = checkOutcome(expect, observed);
    if (mismatch !== null) problems.push(mismatch);
    return { observed, problems, peakBuffered };
  }

  private chain(random: Random): ExtensionChain | null {
    if (this.extension === null) return null;
    const acceptance = this.extension.negotiate(parseExtensionHeader(random.pick(OFFERS))!);
    if (acceptance === null) throw new Error('permessage-deflate declined the offer');
    return new ExtensionChain([acceptance.createCodec({ maxPayload: this.profile.maxPayload })]);
  }
}

/** Waits (a macrotask at a time) for input that waits on an extension; false on a hang. */
async function settle(protocol: Protocol, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (protocol.isInputPaused) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}

function observe(sink: ArraySink, handler: RecordingHandler, problems: string[]): Observed {
  let frames;
  try {
    frames = serverFrames(sink.bytes());
  } catch (error) {
    problems.push(`unreadable output: ${(error as Error).message}`);
    return { close: NO_CLOSE, messages: [] };
  }
  if (frames.some((frame) => frame.masked)) problems.push('a server frame was masked (RFC 6455 §5.1)');
  const closes = frames.filter((frame) => frame.opcode === 0x8);
  if (closes.length > 1) problems.push(`${closes.length} close frames written`);
  if (closes.length > 0 && frames[frames.length - 1].opcode !== 0x8)
    problems.push('a frame was written after the close frame');
  const close =
    closes.length === 0 ? NO_CLOSE : closes[0].payload.length === 0 ? EMPTY_CLOSE : closes[0].payload.readUInt16BE(0);

  const pings = handler.events.flatMap((e) => (e.type === 'ping' ? [e.payload] : []));
  const pongs = frames.filter((frame) => frame.opcode === 0xa).map((frame) => frame.payload);
  if (pongs.length !== pings.length || pongs.some((pong, i) => !pong.equals(pings[i]))) {
    problems.push(`${pings.length} pings received, ${pongs.length} pongs written, or payloads differ`);
  }
  const failures = handler.events.flatMap((e) => (e.type === 'fail' ? [e.error] : []));
  if (failures.length > 1) problems.push(`failed ${failures.length} times`);
  if (failures.length === 1 && failures[0].closeCode !== close) {
    problems.push(`failed with ${failures[0].code} (${failures[0].closeCode}) but closed with ${close}`);
  }
  const messages: Message[] = handler.events.flatMap((e) =>
    e.type === 'message'
      ? [{ binary: e.isBinary, data: typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data }]
      : [],
  );
  return { close, messages };
}
