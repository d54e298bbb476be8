/**
 * Streams mode: one Redis stream per topic (`prefix + 's:' + topic`), XADD with MAXLEN ~ to
 * publish, one blocking XREAD over the streams of the topics this process has subscribers for,
 * each from the last entry id it read. A process that lost Redis resumes from there.
 *
 *   publish ──> Outbox (bounded, ordered) ──XADD──> stream ──XREAD (cursor per topic)──> deliver
 *
 * Two connections: `command` (XADD, XREVRANGE, the epoch key, CLIENT UNBLOCK) and `reader`
 * (XREAD BLOCK, which holds its connection).
 *
 * Redis restarted without persistence comes back empty: the streams and their ids are gone. The
 * epoch key (`prefix + 'epoch'`, a random value set once per Redis lifetime with SET NX) tells:
 * when it changed since the last connection, every cursor restarts at 0-0 and the outbox sends
 * again what it kept; receivers drop what they already had by (origin, sequence).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { connectStandalone, endConnection } from './connections';
import { Outbox } from './outbox';
import { asError, TopicWaiters, type Transport, type TransportHost } from './transport';

/** XREAD BLOCK timeout: new topics interrupt it with CLIENT UNBLOCK, so this only paces an idle loop. */
const BLOCK_MS = 2000;
/** Pause before retrying after a Redis error that was not a lost connection. */
const RETRY_MS = 500;
const START = '0-0';

type XReadReply = Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;

export class StreamsTransport implements Transport {
  private readonly host: TransportHost;
  private readonly keyPrefix: string;
  private readonly keyPrefixBytes: number;
  private readonly epochKey: string;
  private readonly maxLen: number;
  private readonly readCount: number;
  private readonly command: Redis;
  private readonly reader: Redis;
  private readonly outbox: Outbox;
  /** Topics with local subscribers and the last id read from each; undefined: position not known yet. */
  private readonly cursors = new Map<string, string | undefined>();
  private readonly waiters = new TopicWaiters();
  /** The epoch seen on the last synchronised connection. */
  private epoch: string | undefined;
  /** The command connection is up and the epoch checked: cursors and outbox are valid for this Redis. */
  private synced = false;
  /** Bumped whenever the command connection changes: replies from an older one are ignored. */
  private connectionGeneration = 0;
  private readerId: number | undefined;
  private reading = false;
  private unblocking = false;
  private wakeReader: (() => void) | undefined;
  private ending = false;

  constructor(host: TransportHost) {
    this.host = host;
    const { options } = host;
    this.keyPrefix = `${options.prefix}s:`;
    this.keyPrefixBytes = Buffer.byteLength(this.keyPrefix);
    this.epochKey = `${options.prefix}epoch`;
    this.maxLen = options.maxLen;
    this.readCount = options.readCount;
    this.outbox = new Outbox(options.bufferMessages, options.bufferBytes);
    this.command = connectStandalone(options, 'streams');
    this.reader = connectStandalone(options, 'reader');
    for (const connection of [this.command, this.reader]) {
      connection.on('error', (error: Error) => {
        if (!this.ending) this.host.error(error);
      });
    }
    this.command.on('ready', () => void this.sync());
    this.command.on('close', () => this.onCommandClose());
    this.reader.on('ready', () => this.onReaderReady());
    this.reader.on('close', () => {
      this.readerId = undefined;
      if (!this.ending) this.host.down();
    });
    void this.readLoop();
  }

  get connectionCount(): number {
    return 2;
  }

  open(topic: string): void {
    if (this.cursors.has(topic)) return;
    this.cursors.set(topic, undefined);
    if (this.synced) void this.findStart(topic, this.connectionGeneration);
  }

  close(topic: string): void {
    this.cursors.delete(topic);
  }

  publish(topic: string, message: Buffer, bytes: number): void {
    if (this.ending) {
      this.host.dropped('closed', 1, bytes);
      return;
    }
    if (!this.outbox.push({ key: this.keyPrefix + topic, message, bytes })) {
      this.host.dropped('buffer-full', 1, bytes);
      return;
    }
    this.pump();
  }

  whenSubscribed(topic: string): Promise<void> {
    if (this.cursors.get(topic) !== undefined) return Promise.resolve();
    return this.waiters.wait(topic);
  }

  /** Publishes waiting in the local buffer (not yet confirmed by Redis). */
  get buffered(): number {
    return this.outbox.unconfirmed;
  }

  async end(): Promise<void> {
    this.ending = true;
    this.wakeReader?.();
    // QUIT on the command connection lets XADDs already sent be confirmed; what never left is reported.
    const ended = Promise.all([endConnection(this.command), endConnection(this.reader)]);
    await ended;
    const lost = this.outbox.clearUnconfirmed();
    this.host.dropped('closed', lost.messages, lost.bytes);
  }

  /** The command connection is (again) ready: check the epoch, place new topics, send the outbox. */
  private async sync(): Promise<void> {
    const generation = ++this.connectionGeneration;
    try {
      await this.command.set(this.epochKey, randomBytes(8).toString('hex'), 'NX');
      const epoch = await this.command.get(this.epochKey);
      if (generation !== this.connectionGeneration || this.ending) return;
      if (this.epoch !== undefined && epoch !== this.epoch) {
        // Redis lost its data: the streams restart empty, with new ids.
        for (const [topic, cursor] of this.cursors) if (cursor !== undefined) this.cursors.set(topic, START);
        this.outbox.rewindAll();
        this.host.reset();
      }
      this.epoch = epoch ?? undefined;
      const unplaced = [...this.cursors].filter(([, cursor]) => cursor === undefined).map(([topic]) => topic);
      await Promise.all(unplaced.map((topic) => this.findStart(topic, generation)));
      if (generation !== this.connectionGeneration || this.ending) return;
      this.synced = true;
      this.pump();
      this.wake();
      this.reportUp();
    } catch (error) {
      if (generation !== this.connectionGeneration || this.ending) return;
      // The connection is still up, so Redis refused something: say so and try again.
      if (this.command.status === 'ready') {
        this.host.error(asError(error));
        setTimeout(() => {
          if (generation === this.connectionGeneration) void this.sync();
        }, RETRY_MS).unref();
      }
    }
  }

  /** Sets a new topic's cursor to its stream's last entry: what is published from now on is read. */
  private async findStart(topic: string, generation: number): Promise<void> {
    let last: Array<[Buffer, Buffer[]]>;
    try {
      last = await this.command.xrevrangeBuffer(this.keyPrefix + topic, '+', '-', 'COUNT', 1);
    } catch (error) {
      // A lost connection places it on the next sync; report anything else.
      if (generation === this.connectionGeneration && this.command.status === 'ready') this.host.error(asError(error));
      return;
    }
    if (generation !== this.connectionGeneration || !this.cursors.has(topic) || this.cursors.get(topic) !== undefined)
      return;
    this.cursors.set(topic, last.length > 0 ? last[0][0].toString() : START);
    this.waiters.resolve(topic);
    this.wake();
  }

  /** Sends what the outbox has not sent, in order, on the command connection. */
  private pump(): void {
    if (!this.synced || this.command.status !== 'ready') return;
    const generation = this.connectionGeneration;
    for (let entry = this.outbox.next(); entry !== undefined; entry = this.outbox.next()) {
      const { bytes } = entry;
      this.command.xadd(entry.key, 'MAXLEN', '~', this.maxLen, '*', 'm', entry.message).then(
        () => {
          if (generation === this.connectionGeneration) this.outbox.acknowledge();
        },
        (error: unknown) => {
          if (generation !== this.connectionGeneration || this.command.status !== 'ready') return;
          // Redis refused this one (out of memory, a key of another type): resending would not help
          // and holding it would stall the rest, so it is dropped, and said so twice.
          this.outbox.acknowledge();
          this.host.error(asError(error));
          this.host.dropped('rejected', 1, bytes);
        },
      );
    }
  }

  private onCommandClose(): void {
    this.connectionGeneration++;
    this.synced = false;
    this.outbox.rewindInFlight();
    if (!this.ending) this.host.down();
  }

  private onReaderReady(): void {
    this.reader.client('ID').then(
      (id) => {
        this.readerId = Number(id);
        this.wake();
        this.reportUp();
      },
      () => undefined, // lost again: the next ready retries
    );
  }

  private reportUp(): void {
    if (this.synced && this.readerId !== undefined && this.reader.status === 'ready') this.host.up();
  }

  /** Wakes the read loop, interrupting a blocked XREAD so it picks up the new cursor set. */
  private wake(): void {
    const wakeReader = this.wakeReader;
    this.wakeReader = undefined;
    wakeReader?.();
    if (!this.reading || this.unblocking || this.readerId === undefined || this.command.status !== 'ready') return;
    this.unblocking = true;
    this.command.client('UNBLOCK', this.readerId).then(
      () => (this.unblocking = false),
      () => (this.unblocking = false),
    );
  }

  private sleep(): Promise<void> {
    return new Promise((resolve) => (this.wakeReader = resolve));
  }

  private async readLoop(): Promise<void> {
    while (!this.ending) {
      const keys: string[] = [];
      const ids: string[] = [];
      for (const [topic, cursor] of this.cursors) {
        if (cursor === undefined) continue;
        keys.push(this.keyPrefix + topic);
        ids.push(cursor);
      }
      if (!this.synced || this.readerId === undefined || this.reader.status !== 'ready' || keys.length === 0) {
        await this.sleep();
        continue;
      }
      let reply: XReadReply;
      this.reading = true;
      try {
        reply = await this.reader.xreadBuffer('COUNT', this.readCount, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...ids);
      } catch (error) {
        this.reading = false;
        if (this.ending) return;
        if (this.reader.status === 'ready') {
          this.host.error(asError(error));
          await new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
        }
        continue;
      }
      this.reading = false;
      // Entries read under a stale epoch would be re-read after the reset: wait for the sync.
      if (reply === null || !this.synced) continue;
      for (const [key, entries] of reply) {
        const topic = key.toString('utf8', this.keyPrefixBytes);
        for (const [id, fields] of entries) {
          if (!this.cursors.has(topic)) break;
          this.cursors.set(topic, id.toString());
          const message = fieldValue(fields);
          if (message !== undefined) this.host.deliver(topic, message);
        }
      }
    }
  }
}

/** The `m` field of a stream entry. */
function fieldValue(fields: Buffer[]): Buffer | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i].length === 1 && fields[i][0] === 0x6d /* m */) return fields[i + 1];
  }
  return undefined;
}
