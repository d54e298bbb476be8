import type { Connection } from './connection';
import type { Server } from './server';

/**
 * A plugin attaches to a server's life: timers and policies (heartbeat, idle timeout, pub/sub
 * adapters) that sit above the protocol and use only the public API. `new Server({ plugins })`
 * calls `attach` once per server, in the order configured; the instance it returns receives the
 * server's lifecycle.
 */
export interface Plugin {
  /** A short name, for error messages. */
  readonly name: string;
  /** Called once per server, from its constructor: start what this plugin does for `server`. */
  attach(server: Server): PluginInstance;
}

/** How a message was published, as `onPublish` hears it. */
export interface PublishFlags {
  /** Published as binary (true) or text (false): receivers deliver it the same way. */
  readonly binary: boolean;
  /** False when the publisher kept extensions (permessage-deflate) from transforming it. */
  readonly compress: boolean;
}

/**
 * The per-server side of a plugin. Every hook is optional and runs in plugin order. The topic
 * hooks (`onTopicOpen`, `onTopicClose`, `onPublish`) are the seam of a pub/sub adapter (README,
 * "Writing a pub/sub adapter"): one that throws is reported on the server's `error` event and
 * stops neither the other plugins nor delivery; once `server.close()` has started, they are
 * no longer called.
 */
export interface PluginInstance {
  /** A connection is established (before the server's `connection` event). */
  onConnection?(connection: Connection): void;
  /** A connection has closed (after its `close` event). */
  onDisconnect?(connection: Connection, code: number, reason: string): void;
  /** `topic` gained its first subscriber in this process. */
  onTopicOpen?(topic: string): void;
  /** `topic` lost its last subscriber in this process (unsubscribe or close). */
  onTopicClose?(topic: string): void;
  /**
   * `server.publish` delivered a message to this process's subscribers; an adapter carries
   * `payload` (the message bytes, UTF-8 for text; a view to be used now or copied) to the
   * other processes, which deliver it with `server.publishLocal`. Never call `publish` here.
   */
  onPublish?(topic: string, payload: Buffer, flags: PublishFlags): void;
  /**
   * The server is closing: stop timers and release everything. Called once, when `close()`
   * starts. A returned promise (an adapter quitting its connections) is waited for before
   * `close()` resolves and `shutdown` fires; a rejection is reported as the server's `error`.
   */
  close?(): void | Promise<void>;
}

/**
 * Calls every plugin's `close()`. Returns a promise that settles once the asynchronous ones have
 * (it never rejects), or null if none was asynchronous. A throw or a rejection goes to `onError`.
 */
export function closePlugins(
  plugins: readonly PluginInstance[],
  onError: (error: Error) => void,
): Promise<void> | null {
  const waiting: Promise<void>[] = [];
  const report = (error: unknown): void => onError(error instanceof Error ? error : new Error(String(error)));
  for (const plugin of plugins) {
    try {
      const result = plugin.close?.();
      if (typeof (result as Promise<void> | undefined)?.then === 'function')
        waiting.push(Promise.resolve(result).catch(report));
    } catch (error) {
      report(error);
    }
  }
  return waiting.length === 0 ? null : Promise.all(waiting).then(() => undefined);
}
