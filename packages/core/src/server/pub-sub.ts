import type { Connection, SendData, SendOptions } from './connection';
import { PreparedMessage, fanOut } from './fan-out';
import type { PluginInstance, PublishFlags } from './plugin';
import type { Server } from './server';
import { TopicRegistry, checkTopic, type TopicListener } from './topic-registry';

export interface PublishOptions extends SendOptions {
  /** A connection to leave out (typically the sender). */
  except?: Connection;
}

/**
 * A server's topics: the registry of local subscribers, delivery to them, and the plugin hooks
 * that let an adapter carry topics and messages to other processes.
 *
 *   publish ──> local subscribers ──> onPublish (each plugin) ──> broker ──> other processes
 *   broker ──> adapter ──> publishLocal ──> local subscribers      (no onPublish: no echo)
 */
export class PubSub implements TopicListener {
  readonly registry = new TopicRegistry<Connection>(this);

  constructor(
    private readonly server: Server,
    private readonly plugins: readonly PluginInstance[],
  ) {}

  publish(topic: string, data: SendData, options: PublishOptions): void {
    const message = this.publishLocal(topic, data, options);
    if (!this.server.isAccepting) return;
    const flags: PublishFlags = { binary: message.binary, compress: message.compress };
    for (const plugin of this.plugins) {
      if (plugin.onPublish === undefined) continue;
      try {
        plugin.onPublish(topic, message.payload, flags);
      } catch (error) {
        this.report(error);
      }
    }
  }

  publishLocal(topic: string, data: SendData, options: PublishOptions): PreparedMessage {
    checkTopic(topic);
    const message = new PreparedMessage(data, options, this.server.options.maxFrameSize);
    const subscribers = this.registry.subscribersOf(topic);
    if (subscribers !== undefined) fanOut(message, subscribers, options.except);
    return message;
  }

  /** @internal */
  topicOpened(topic: string): void {
    this.callTopicHook('onTopicOpen', topic);
  }

  /** @internal */
  topicClosed(topic: string): void {
    this.callTopicHook('onTopicClose', topic);
  }

  private callTopicHook(hook: 'onTopicOpen' | 'onTopicClose', topic: string): void {
    // Plugins have been closed (server.close() started): nothing is left to tell.
    if (!this.server.isAccepting) return;
    for (const plugin of this.plugins) {
      try {
        plugin[hook]?.(topic);
      } catch (error) {
        this.report(error);
      }
    }
  }

  /**
   * A throwing hook is the plugin's bug, not the publisher's: it is reported on the next tick,
   * so that even a throwing `error` listener cannot cut a delivery or a connection's close short.
   */
  private report(error: unknown): void {
    process.nextTick(emitError, this.server, error instanceof Error ? error : new Error(String(error)));
  }
}

function emitError(server: Server, error: Error): void {
  server.emit('error', error);
}
