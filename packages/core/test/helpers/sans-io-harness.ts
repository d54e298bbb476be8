/**
 * An in-memory host for the sans-I/O `Protocol` (in the manner of python-websockets'
 * tests/test_protocol.py): an array-backed OutputSink, a handler that records every event, and
 * custom assertions so each case reads as "these bytes in → this frame out / this failure".
 *
 *   test bytes → SansIo.receive → Protocol → RecordingHandler.events
 *                                          ↘ ArraySink.chunks → serverFrames → expectFrameSent
 */
import {
  ERROR_CLOSE_CODES,
  Protocol,
  WebSocketError,
  type OutputSink,
  type ProtocolHandler,
  type ProtocolOptions,
} from '@ws/core';
import type { ParsedFrame } from './frames';
import { serverFrames, toBytes, type Bytes } from './sans-io-frames';

type WriteCallback = (error?: Error | null) => void;

/** An OutputSink that keeps a copy of every chunk and the order of cork/uncork/push calls. */
export class ArraySink implements OutputSink {
  readonly chunks: Buffer[] = [];
  /** The callback given with each chunk (undefined when none). */
  readonly callbacks: (WriteCallback | undefined)[] = [];
  /** 'cork', 'uncork' and 'push' in call order. */
  readonly calls: string[] = [];

  cork(): void {
    this.calls.push('cork');
  }

  uncork(): void {
    this.calls.push('uncork');
  }

  push(chunk: Buffer, callback?: WriteCallback): void {
    this.calls.push('push');
    // A copy: the test must see the bytes as they were when handed over.
    this.chunks.push(Buffer.from(chunk));
    this.callbacks.push(callback);
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export type ProtocolEvent =
  | { type: 'message'; data: string | Buffer; isBinary: boolean }
  | { type: 'ping'; payload: Buffer }
  | { type: 'pong'; payload: Buffer }
  | { type: 'peerClose'; code: number; reason: string }
  | { type: 'closeWritten' }
  | { type: 'fail'; error: WebSocketError }
  | { type: 'inputResumed' }
  | { type: 'outputFlushed' };

/**
 * Records every callback of the protocol, in order. `onMessageHook` lets a test throw;
 * `onPeerCloseHook` runs where an application's `closing` listener would (it may call close()).
 */
export class RecordingHandler implements ProtocolHandler {
  readonly events: ProtocolEvent[] = [];
  onMessageHook: ((data: string | Buffer, isBinary: boolean) => void) | null = null;
  onPeerCloseHook: ((code: number, reason: string) => void) | null = null;

  onMessage(data: string | Buffer, isBinary: boolean): void {
    this.events.push({ type: 'message', data: typeof data === 'string' ? data : Buffer.from(data), isBinary });
    this.onMessageHook?.(data, isBinary);
  }
  onPing(payload: Buffer): void {
    this.events.push({ type: 'ping', payload: Buffer.from(payload) });
  }
  onPong(payload: Buffer): void {
    this.events.push({ type: 'pong', payload: Buffer.from(payload) });
  }
  onPeerClose(code: number, reason: string): void {
    this.events.push({ type: 'peerClose', code, reason });
    this.onPeerCloseHook?.(code, reason);
  }
  onCloseWritten(): void {
    this.events.push({ type: 'closeWritten' });
  }
  onFail(error: WebSocketError): void {
    this.events.push({ type: 'fail', error });
  }
  onInputResumed(): void {
    this.events.push({ type: 'inputResumed' });
  }

  onOutputFlushed(): void {
    this.events.push({ type: 'outputFlushed' });
  }
}

export const DEFAULT_TEST_OPTIONS: ProtocolOptions = {
  maxPayload: 0,
  maxFrameSize: 1024 * 1024,
  allowedRsv: 0,
  extensions: null,
};

/** A Protocol wired to an ArraySink and a RecordingHandler. */
export class SansIo {
  readonly sink = new ArraySink();
  readonly handler = new RecordingHandler();
  readonly protocol: Protocol;
  private framesRead = 0;

  constructor(options: Partial<ProtocolOptions> = {}) {
    this.protocol = new Protocol(this.sink, this.handler, { ...DEFAULT_TEST_OPTIONS, ...options });
  }

  /** Feeds each chunk in turn, copied first: the parser unmasks in place. */
  receive(...chunks: Bytes[]): this {
    for (const chunk of chunks) this.protocol.receive(toBytes(chunk));
    return this;
  }

  get events(): ProtocolEvent[] {
    return this.handler.events;
  }

  /** Every frame written so far. */
  sent(): ParsedFrame[] {
    return serverFrames(this.sink.bytes());
  }

  /** Frames written since the last call. */
  takeSent(): ParsedFrame[] {
    const all = this.sent();
    const fresh = all.slice(this.framesRead);
    this.framesRead = all.length;
    return fresh;
  }

  messages(): (string | Buffer)[] {
    return this.events.flatMap((e) => (e.type === 'message' ? [e.data] : []));
  }

  failures(): WebSocketError[] {
    return this.events.flatMap((e) => (e.type === 'fail' ? [e.error] : []));
  }

  /** A comparable record of everything observable: events and output bytes. */
  outcome(): unknown {
    return {
      events: this.events.map((e) => {
        switch (e.type) {
          case 'message':
            return { ...e, data: typeof e.data === 'string' ? e.data : e.data.toString('hex') };
          case 'ping':
          case 'pong':
            return { type: e.type, payload: e.payload.toString('hex') };
          case 'fail':
            return { type: 'fail', code: e.error.code, closeCode: e.error.closeCode };
          default:
            return e;
        }
      }),
      output: this.sink.bytes().toString('hex'),
    };
  }
}

/** The next unread frame is an unmasked, final, RSV-free frame with this opcode and payload. */
export function expectFrameSent(io: SansIo, opcode: number, payload: Bytes = []): void {
  const [frame] = io.takeSent();
  expect(frame).toBeDefined();
  expect({ opcode: frame.opcode, fin: frame.fin, rsv: frame.rsv, masked: frame.masked }).toEqual({
    opcode,
    fin: true,
    rsv: 0,
    masked: false,
  });
  expect(frame.payload.toString('hex')).toBe(toBytes(payload).toString('hex'));
}

/** The next unread frame is a close frame with this code (and reason, when given). */
export function expectCloseSent(io: SansIo, code: number | undefined, reason?: string): void {
  const [frame] = io.takeSent();
  expect(frame).toBeDefined();
  expect(frame.opcode).toBe(0x8);
  if (code === undefined) {
    expect(frame.payload.length).toBe(0);
    return;
  }
  expect(frame.payload.readUInt16BE(0)).toBe(code);
  if (reason !== undefined) expect(frame.payload.subarray(2).toString('utf8')).toBe(reason);
}

export function expectNothingSent(io: SansIo): void {
  expect(io.takeSent()).toEqual([]);
}

/**
 * The connection failed exactly once with `code`, and exactly one close frame went out, last,
 * carrying `closeCode` and a reason that fits (RFC 6455 §7.1.7).
 */
export function expectFailure(io: SansIo, code: string, closeCode: number): void {
  const failures = io.failures();
  expect(failures.map((e) => ({ code: e.code, closeCode: e.closeCode }))).toEqual([{ code, closeCode }]);
  expect(failures[0]).toBeInstanceOf(WebSocketError);
  const frames = io.sent();
  const closes = frames.filter((f) => f.opcode === 0x8);
  expect(closes).toHaveLength(1);
  expect(frames[frames.length - 1].opcode).toBe(0x8);
  expect(closes[0].payload.readUInt16BE(0)).toBe(closeCode);
  expect(closes[0].payload.length).toBeLessThanOrEqual(125);
}

export function expectNoFailure(io: SansIo): void {
  expect(io.failures().map((e) => `${e.code}: ${e.message}`)).toEqual([]);
}

/** The close codes a peer can cause (RFC 6455 §7.4.1), from the error table. */
export const PEER_CLOSE_CODES: ReadonlySet<number> = new Set(Object.values(ERROR_CLOSE_CODES));
