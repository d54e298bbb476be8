/**
 * Who is subscribed to what, as two-way links (like uWebSockets' TopicTree.h):
 *
 *   topic ──> Set of subscribers      (publish walks this)
 *   subscriber ──> Set of topics      (close walks this: O(its topics), not O(all topics))
 *
 * Subscribe and unsubscribe touch one entry on each side: O(1). A topic exists only while it
 * has a subscriber, so `topics()` lists exactly the topics someone here listens to. The
 * listener hears when a topic gains its first subscriber and loses its last; that is what a
 * pub/sub adapter forwards to its broker.
 */

export interface TopicListener {
  topicOpened(topic: string): void;
  topicClosed(topic: string): void;
}

/* eslint-disable @typescript-eslint/unbound-method -- taken unbound on purpose, called with .call() */
const setAdd = Set.prototype.add;
const setDelete = Set.prototype.delete;
const setClear = Set.prototype.clear;
/* eslint-enable @typescript-eslint/unbound-method */

/**
 * A subscriber's topics as the application sees them (`connection.topics`): a real Set, so
 * every read method works, that refuses changes: subscribing goes through the registry, which
 * must keep both sides of each link.
 */
class SubscriptionSet extends Set<string> {
  override add(): this {
    throw new TypeError('topics are read-only: use subscribe()');
  }

  override delete(): boolean {
    throw new TypeError('topics are read-only: use unsubscribe()');
  }

  override clear(): void {
    throw new TypeError('topics are read-only: use unsubscribe()');
  }
}

const NO_TOPICS: ReadonlySet<string> = new SubscriptionSet();

export class TopicRegistry<S> {
  private readonly subscribersByTopic = new Map<string, Set<S>>();
  private readonly topicsBySubscriber = new Map<S, SubscriptionSet>();

  constructor(private readonly listener?: TopicListener) {}

  /** Links `subscriber` and `topic`; false when they already were. */
  subscribe(subscriber: S, topic: string): boolean {
    checkTopic(topic);
    let topics = this.topicsBySubscriber.get(subscriber);
    if (topics === undefined) {
      topics = new SubscriptionSet();
      this.topicsBySubscriber.set(subscriber, topics);
    } else if (topics.has(topic)) {
      return false;
    }
    setAdd.call(topics, topic);
    const subscribers = this.subscribersByTopic.get(topic);
    if (subscribers !== undefined) {
      subscribers.add(subscriber);
      return true;
    }
    this.subscribersByTopic.set(topic, new Set([subscriber]));
    this.listener?.topicOpened(topic);
    return true;
  }

  /** Unlinks `subscriber` and `topic`; false when they were not linked. */
  unsubscribe(subscriber: S, topic: string): boolean {
    const topics = this.topicsBySubscriber.get(subscriber);
    if (topics === undefined || !setDelete.call(topics, topic)) return false;
    this.leave(subscriber, topic);
    return true;
  }

  isSubscribed(subscriber: S, topic: string): boolean {
    return this.topicsBySubscriber.get(subscriber)?.has(topic) ?? false;
  }

  /** The subscriber's topics (read-only; empty when it has none). */
  topicsOf(subscriber: S): ReadonlySet<string> {
    return this.topicsBySubscriber.get(subscriber) ?? NO_TOPICS;
  }

  /** The topic's subscribers, or undefined when it has none. Not to be changed by the caller. */
  subscribersOf(topic: string): ReadonlySet<S> | undefined {
    return this.subscribersByTopic.get(topic);
  }

  subscriberCount(topic: string): number {
    return this.subscribersByTopic.get(topic)?.size ?? 0;
  }

  /** The topics that have at least one subscriber. */
  topics(): IterableIterator<string> {
    return this.subscribersByTopic.keys();
  }

  /** Ends every subscription of `subscriber` (it closed): O(its topics). */
  removeSubscriber(subscriber: S): void {
    const topics = this.topicsBySubscriber.get(subscriber);
    if (topics === undefined) return;
    this.topicsBySubscriber.delete(subscriber);
    // Copied first: a view the application kept must read empty afterwards, and the listener
    // may run application code.
    const left = [...topics];
    setClear.call(topics);
    for (const topic of left) this.leave(subscriber, topic);
  }

  private leave(subscriber: S, topic: string): void {
    const subscribers = this.subscribersByTopic.get(topic);
    if (subscribers === undefined || !subscribers.delete(subscriber) || subscribers.size > 0) return;
    this.subscribersByTopic.delete(topic);
    this.listener?.topicClosed(topic);
  }
}

/** Topics are strings: anything else is a programming error, caught before it is stored. */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string') throw new TypeError(`a topic must be a string, not ${typeof topic}`);
}
