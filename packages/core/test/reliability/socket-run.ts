/**
 * The fuzzer over real sockets: a raw `net` client completes the handshake (offering
 * permessage-deflate when the server has it), writes a hostile stream in its random TCP cuts,
 * and reads the server's frames until TCP closes. Beside them, a healthy `ws` client sends a
 * message every few ms and must get each one back, in order.
 *
 *   fuzz client ──handshake, stream in cuts──▶ server ──close frame (or none), FIN/RST──▶ observed
 *   healthy ws  ──"n" every 5 ms──▶ server ──"n"──▶ checked in order
 */
import net from 'node:net';
import WebSocket from 'ws';
import { delay } from '../helpers/events';
import { FrameReader } from '../helpers/frames';
import { upgradeRequest } from '../helpers/raw-http';
import { cutAt } from '../helpers/sans-io-frames';
import { EMPTY_CLOSE, NO_CLOSE, checkOutcome, type Expectation, type Observed } from './expectation';
import type { FuzzCase } from './fuzz-case';

/** How long a determined close frame may take to come; past it the case fails. */
const ANSWER_MS = 10_000;
/** With no close frame required, the client ends once the server has been quiet this long. */
const QUIET_MS = 25;
/** Share of cases where the client resets the connection instead of ending it. */
const ABORT_CHANCE = 0.05;

export interface SocketResult {
  readonly observed: Observed;
  /** How TCP ended: the server's FIN, a reset, or the client's own reset ('aborted'). */
  readonly ending: 'end' | 'reset' | 'aborted';
  readonly problems: string[];
}

/** Runs one case against the server at `port`. */
export async function runSocketCase(port: number, fuzzCase: FuzzCase, offerDeflate: boolean): Promise<SocketResult> {
  const { random, expect } = fuzzCase;
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  const problems: string[] = [];
  let reset = false;
  socket.on('error', () => (reset = true));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));

  const extensions: Record<string, string> = offerDeflate ? { 'Sec-WebSocket-Extensions': random.pick(OFFERS) } : {};
  socket.write(upgradeRequest({ headers: extensions }));
  const rest = await readHead(socket, offerDeflate, problems);
  if (rest === null) {
    socket.destroy();
    return { observed: { close: NO_CLOSE, messages: null }, ending: 'reset', problems };
  }

  const reader = new FrameReader();
  let close = NO_CLOSE;
  let lastData: number;
  let answered: () => void = () => undefined;
  const answer = new Promise<void>((resolve) => (answered = resolve));
  const onData = (chunk: Buffer): void => {
    lastData = Date.now();
    try {
      for (const frame of reader.push(chunk)) {
        if (frame.opcode !== 0x8 || close !== NO_CLOSE) continue;
        close = frame.payload.length === 0 ? EMPTY_CLOSE : frame.payload.readUInt16BE(0);
        answered();
      }
    } catch (error) {
      problems.push(`unreadable server frames: ${(error as Error).message}`);
    }
  };
  socket.on('data', onData);
  void closed.then(answered);
  onData(rest);

  const pieces = cutAt(fuzzCase.bytes, fuzzCase.cuts);
  // About eight pieces a stream leave on their own, so the server reads them as separate chunks.
  const pauseChance = Math.min(0.3, 8 / pieces.length);
  for (const piece of pieces) {
    if (socket.destroyed) break;
    socket.write(piece);
    if (random.chance(pauseChance)) await delay(random.int(0, 2));
  }

  if (random.chance(ABORT_CHANCE)) {
    // The client vanishes mid-stream (RST): only the server's own checks apply.
    socket.resetAndDestroy();
    await closed;
    return { observed: { close, messages: null }, ending: 'aborted', problems };
  }
  if (needsAnswer(expect)) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([answer, new Promise<void>((resolve) => (timer = setTimeout(resolve, ANSWER_MS)))]);
    clearTimeout(timer);
  } else {
    // Nothing is owed: wait until the server is quiet (or has answered anyway), then end.
    lastData = Date.now();
    do await delay(QUIET_MS);
    while (close === NO_CLOSE && !socket.destroyed && Date.now() - lastData < QUIET_MS);
  }
  socket.end();
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    closed.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ANSWER_MS, false))),
  ]);
  clearTimeout(timer);
  if (!ended) {
    problems.push(`TCP still open ${ANSWER_MS} ms after the client ended`);
    socket.destroy();
  }
  const observed: Observed = { close, messages: null };
  const mismatch = checkOutcome(expect, observed);
  if (mismatch !== null) problems.push(mismatch);
  return { observed, ending: reset ? 'reset' : 'end', problems };
}

const OFFERS = [
  'permessage-deflate; client_max_window_bits',
  'permessage-deflate; client_no_context_takeover; server_no_context_takeover',
  'permessage-deflate; server_max_window_bits=10, permessage-deflate',
];

/** True when the expectation names the server's close frame: the client waits for it. */
function needsAnswer(expect: Expectation): boolean {
  return expect.closes !== null && !expect.closes.includes(NO_CLOSE);
}

/** Reads the 101 response; returns the bytes after it, or null (with a problem) on anything else. */
function readHead(socket: net.Socket, offeredDeflate: boolean, problems: string[]): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    const finish = (rest: Buffer | null, problem?: string): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      if (problem !== undefined) problems.push(problem);
      resolve(rest);
    };
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = head.subarray(0, end).toString('latin1');
      if (!text.startsWith('HTTP/1.1 101')) return finish(null, `handshake refused: ${text.split('\r\n')[0]}`);
      if (offeredDeflate && !/^sec-websocket-extensions: permessage-deflate/im.test(text)) {
        return finish(null, 'permessage-deflate was not accepted');
      }
      finish(head.subarray(end + 4));
    };
    const onClose = (): void => finish(null, 'connection closed during the handshake');
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

export interface HealthyResult {
  sent: number;
  answered: number;
  /** Slowest round trip, in ms. */
  maxRoundTripMs: number;
  problems: string[];
}

/**
 * A well-behaved `ws` client that sends a numbered message every `intervalMs` and checks each
 * echo, in order, while the fuzz clients do their worst on the same server.
 */
export class HealthyClient {
  private readonly ws: WebSocket;
  private timer: NodeJS.Timeout | null = null;
  private readonly sentAt: number[] = [];
  private answeredCount = 0;
  private maxRoundTrip = 0;
  private readonly problems: string[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      const expected = String(this.answeredCount);
      const text = data.toString('utf8');
      if (!text.startsWith(`${expected}:`))
        this.problems.push(`echo ${JSON.stringify(text.slice(0, 20))}, expected ${expected}`);
      this.maxRoundTrip = Math.max(this.maxRoundTrip, performance.now() - this.sentAt[this.answeredCount]);
      this.answeredCount++;
    });
    ws.on('error', (error) => this.problems.push(`healthy client: ${error.message}`));
    ws.on('close', (code) => {
      if (this.timer !== null) this.problems.push(`healthy client closed early (${code})`);
    });
  }

  static async connect(port: number, deflate: boolean): Promise<HealthyClient> {
    // With deflate, messages over the server's 1 KiB threshold come back compressed.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: deflate ? { threshold: 0 } : false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new HealthyClient(ws);
  }

  start(intervalMs = 5): void {
    this.timer = setInterval(() => {
      const n = this.sentAt.length;
      this.sentAt.push(performance.now());
      // Every tenth message is large enough to be compressed both ways.
      this.ws.send(`${n}:${n % 10 === 0 ? 'x'.repeat(2000) : 'ok'}`);
    }, intervalMs);
  }

  /** Stops sending, waits for the answers still owed, closes, and reports. */
  async stop(ms = 10_000): Promise<HealthyResult> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    const deadline = Date.now() + ms;
    while (this.answeredCount < this.sentAt.length && Date.now() < deadline) await delay(5);
    this.ws.close();
    const sent = this.sentAt.length;
    if (this.answeredCount !== sent)
      this.problems.push(`${sent - this.answeredCount} of ${sent} messages never answered`);
    return {
      sent,
      answered: this.answeredCount,
      maxRoundTripMs: Math.round(this.maxRoundTrip),
      problems: this.problems,
    };
  }
}
