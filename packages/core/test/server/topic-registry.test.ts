/**
 * The topic registry on its own (README, Topics): two-way links between subscribers and topics,
 * and the first-in / last-out notifications a pub/sub adapter forwards to its broker.
 */
import { TopicRegistry } from '../../src/server/topic-registry';

interface Subscriber {
  name: string;
}

function registryWithLog(): { registry: TopicRegistry<Subscriber>; log: string[] } {
  const log: string[] = [];
  const registry = new TopicRegistry<Subscriber>({
    topicOpened: (topic) => log.push(`open ${topic}`),
    topicClosed: (topic) => log.push(`close ${topic}`),
  });
  return { registry, log };
}

const alice: Subscriber = { name: 'alice' };
const bob: Subscriber = { name: 'bob' };

describe('TopicRegistry', () => {
  it('links a subscriber and a topic both ways', () => {
    const { registry } = registryWithLog();
    expect(registry.subscribe(alice, 'news')).toBe(true);
    expect(registry.isSubscribed(alice, 'news')).toBe(true);
    expect([...registry.topicsOf(alice)]).toEqual(['news']);
    expect([...(registry.subscribersOf('news') ?? [])]).toEqual([alice]);
    expect(registry.subscriberCount('news')).toBe(1);
    expect([...registry.topics()]).toEqual(['news']);
  });

  it('answers false to a second subscribe and to an unsubscribe with nothing to end', () => {
    const { registry } = registryWithLog();
    registry.subscribe(alice, 'news');
    expect(registry.subscribe(alice, 'news')).toBe(false);
    expect(registry.subscriberCount('news')).toBe(1);
    expect(registry.unsubscribe(alice, 'sport')).toBe(false);
    expect(registry.unsubscribe(bob, 'news')).toBe(false);
    expect(registry.unsubscribe(alice, 'news')).toBe(true);
    expect(registry.unsubscribe(alice, 'news')).toBe(false);
  });

  it('reports a topic open on its first subscriber and closed on its last', () => {
    const { registry, log } = registryWithLog();
    registry.subscribe(alice, 'news');
    registry.subscribe(bob, 'news');
    registry.unsubscribe(alice, 'news');
    expect(log).toEqual(['open news']);
    registry.unsubscribe(bob, 'news');
    expect(log).toEqual(['open news', 'close news']);
    registry.subscribe(bob, 'news');
    expect(log).toEqual(['open news', 'close news', 'open news']);
  });

  it('forgets a topic with no subscriber left', () => {
    const { registry } = registryWithLog();
    registry.subscribe(alice, 'news');
    registry.unsubscribe(alice, 'news');
    expect([...registry.topics()]).toEqual([]);
    expect(registry.subscribersOf('news')).toBeUndefined();
    expect(registry.subscriberCount('news')).toBe(0);
  });

  it('removeSubscriber ends every subscription and closes only the topics left empty', () => {
    const { registry, log } = registryWithLog();
    registry.subscribe(alice, 'news');
    registry.subscribe(alice, 'sport');
    registry.subscribe(bob, 'sport');
    log.length = 0;
    registry.removeSubscriber(alice);
    expect(log).toEqual(['close news']);
    expect(registry.isSubscribed(alice, 'sport')).toBe(false);
    expect(registry.subscriberCount('sport')).toBe(1);
    expect([...registry.topics()]).toEqual(['sport']);
    registry.removeSubscriber(alice); // twice is harmless
    expect(log).toEqual(['close news']);
  });

  it('empties a topics view kept from before removeSubscriber', () => {
    const { registry } = registryWithLog();
    registry.subscribe(alice, 'news');
    const kept = registry.topicsOf(alice);
    registry.removeSubscriber(alice);
    expect(kept.size).toBe(0);
  });

  it('hands out topics that refuse changes from outside', () => {
    const { registry } = registryWithLog();
    registry.subscribe(alice, 'news');
    const topics = registry.topicsOf(alice) as Set<string>;
    expect(() => topics.add('sport')).toThrow(TypeError);
    expect(() => topics.delete('news')).toThrow(TypeError);
    expect(() => topics.clear()).toThrow(TypeError);
    expect(() => (registry.topicsOf(bob) as Set<string>).add('x')).toThrow(TypeError);
    expect([...registry.topicsOf(alice)]).toEqual(['news']);
    expect(registry.subscriberCount('sport')).toBe(0);
  });

  it('refuses a topic that is not a string', () => {
    const { registry } = registryWithLog();
    expect(() => registry.subscribe(alice, 42 as unknown as string)).toThrow(TypeError);
    expect(registry.topicsOf(alice).size).toBe(0);
  });

  it('keeps many topics per subscriber and many subscribers per topic apart', () => {
    const { registry, log } = registryWithLog();
    const subscribers = Array.from({ length: 50 }, (_, i) => ({ name: `s${i}` }));
    for (const [i, subscriber] of subscribers.entries()) {
      for (let t = 0; t <= i % 5; t++) registry.subscribe(subscriber, `t${t}`);
    }
    expect([0, 1, 2, 3, 4].map((t) => registry.subscriberCount(`t${t}`))).toEqual([50, 40, 30, 20, 10]);
    for (const subscriber of subscribers) registry.removeSubscriber(subscriber);
    expect([...registry.topics()]).toEqual([]);
    expect(log.filter((line) => line.startsWith('close')).sort()).toEqual([
      'close t0',
      'close t1',
      'close t2',
      'close t3',
      'close t4',
    ]);
  });
});
