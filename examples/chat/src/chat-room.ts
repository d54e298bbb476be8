import { CloseCode, type Connection, type Server } from '@ws/core';
import {
  parseClientMessage,
  type ChatErrorCode,
  type ChatLimits,
  type ChatUser,
  type ServerEvent,
  type ServerIdentity,
} from './chat-protocol';

export interface RoomOptions {
  readonly limits: ChatLimits;
  /** Messages (text or binary) one connection may send per second before it is closed with 1008. */
  readonly maxMessagesPerSecond: number;
  /** Bytes one connection may send per second before it is closed with 1008: every byte is broadcast to everyone. */
  readonly maxBytesPerSecond: number;
  /** The topic every connection subscribes to and every event is published on. */
  readonly topic: string;
  /** This process, as the welcome names it. */
  readonly identity: ServerIdentity;
  /**
   * Participant ids are `first`, `first + step`, `first + 2 * step`, …: with one `first` per
   * process (1…N) and `step` N, processes sharing a room never hand out the same id.
   */
  readonly ids: { readonly first: number; readonly step: number };
}

interface Participant {
  /** Assigned by the server on connection; the only identity the room trusts. */
  readonly id: number;
  /** Display name once joined, `null` while only watching. */
  name: string | null;
  windowStart: number;
  windowCount: number;
  windowBytes: number;
}

/**
 * One public room, the seed's `ws_example.py` grown up: every event goes to every open
 * connection. A connection watches until it joins with a name; only joined participants post.
 * Joins and leaves are announced by the server, never taken from a client.
 *
 * Every connection subscribes to the room's topic and every event is published on it
 * (`server.publish`), so with a pub/sub adapter (examples/cluster) the same room spans several
 * processes. The `users` of a welcome are the participants this process knows: its own.
 */
export class ChatRoom {
  private readonly participants = new Map<Connection, Participant>();
  private nextId: number;
  private nextSeq = 1;
  private closing = false;

  constructor(
    private readonly server: Server,
    private readonly options: RoomOptions,
  ) {
    this.nextId = options.ids.first;
    server.on('connection', (connection) => this.onConnection(connection));
    server.on('message', (data, connection, isBinary) => this.onMessage(connection, data, isBinary));
    server.on('close', (connection) => this.onClose(connection));
  }

  /** Stop announcing leaves: the whole room is going away. */
  shutDown(): void {
    this.closing = true;
  }

  private onConnection(connection: Connection): void {
    const participant: Participant = { id: this.nextId, name: null, windowStart: 0, windowCount: 0, windowBytes: 0 };
    this.nextId += this.options.ids.step;
    this.participants.set(connection, participant);
    connection.subscribe(this.options.topic);
    this.sendTo(connection, {
      type: 'welcome',
      id: participant.id,
      users: this.users(),
      limits: this.options.limits,
      extensions: connection.extensions,
      server: this.options.identity,
    });
  }

  private onMessage(connection: Connection, data: string | Buffer, isBinary: boolean): void {
    const participant = this.participants.get(connection);
    if (participant === undefined || !connection.isOpen) return;
    const overRate = this.overRate(participant, isBinary ? data.length : Buffer.byteLength(data));
    if (overRate !== null) {
      connection.close(CloseCode.PolicyViolation, overRate);
      return;
    }

    if (isBinary) {
      const bytes = data as Buffer;
      if (participant.name === null) return this.refuse(connection, 'not-joined', 'join before sending');
      if (bytes.length > this.options.limits.binary) {
        return this.refuse(connection, 'too-long', `binary messages are at most ${this.options.limits.binary} bytes`);
      }
      // Header first, bytes right after: each connection receives them in send order.
      this.publish({
        type: 'binary',
        seq: this.nextSeq++,
        user: toUser(participant),
        size: bytes.length,
        at: Date.now(),
      });
      this.server.publish(this.options.topic, bytes, { binary: true });
      return;
    }

    const result = parseClientMessage(data as string, this.options.limits);
    if (result.kind === 'close') {
      connection.close(result.closeCode, result.reason);
      return;
    }
    if (result.kind === 'error') return this.refuse(connection, result.code, result.message);

    const message = result.message;
    switch (message.type) {
      case 'join':
        if (participant.name !== null) return this.refuse(connection, 'already-joined', 'already joined');
        participant.name = message.name;
        this.publish({ type: 'join', user: toUser(participant), at: Date.now() });
        return;
      case 'leave':
        if (participant.name === null) return this.refuse(connection, 'not-joined', 'not joined');
        this.publish({ type: 'leave', user: toUser(participant), at: Date.now() });
        participant.name = null;
        return;
      case 'message':
        if (participant.name === null) return this.refuse(connection, 'not-joined', 'join before sending');
        this.publish({
          type: 'message',
          seq: this.nextSeq++,
          user: toUser(participant),
          text: message.text,
          at: Date.now(),
        });
        return;
    }
  }

  private onClose(connection: Connection): void {
    const participant = this.participants.get(connection);
    if (participant === undefined) return;
    this.participants.delete(connection);
    if (participant.name !== null && !this.closing) {
      this.publish({ type: 'leave', user: toUser(participant), at: Date.now() });
    }
  }

  /** Counts one message against the connection's one-second window; the close reason when over. */
  private overRate(participant: Participant, bytes: number): string | null {
    const now = Date.now();
    if (now - participant.windowStart >= 1000) {
      participant.windowStart = now;
      participant.windowCount = 0;
      participant.windowBytes = 0;
    }
    participant.windowCount += 1;
    participant.windowBytes += bytes;
    if (participant.windowCount > this.options.maxMessagesPerSecond) return 'too many messages';
    if (participant.windowBytes > this.options.maxBytesPerSecond) return 'too much data';
    return null;
  }

  private users(): ChatUser[] {
    const users: ChatUser[] = [];
    for (const participant of this.participants.values()) {
      if (participant.name !== null) users.push(toUser(participant));
    }
    return users;
  }

  private refuse(connection: Connection, code: ChatErrorCode, message: string): void {
    this.sendTo(connection, { type: 'error', code, message });
  }

  private sendTo(connection: Connection, event: ServerEvent): void {
    if (connection.isOpen) connection.send(JSON.stringify(event));
  }

  private publish(event: ServerEvent): void {
    // Encoded once; core writes the same frame to every subscriber (and an adapter, if any,
    // carries it to the other processes).
    this.server.publish(this.options.topic, JSON.stringify(event));
  }
}

function toUser(participant: Participant): ChatUser {
  return { id: participant.id, name: participant.name ?? '' };
}
