import type { Connection, ConnectionOwner } from '../server/connection';

const NO_TOPICS: ReadonlySet<string> = new Set<string>();
const nothing = (): void => {};

/**
 * The owner of a client connection: there is no server to tell, so it hears everything and
 * emits nothing extra, and topic subscriptions are refused (`subscribe()` returns false).
 * One object shared by every client connection.
 */
export const CLIENT_OWNER: ConnectionOwner = {
  onConnectionMessage: nothing,
  onConnectionPing: nothing,
  onConnectionPong: nothing,
  onConnectionError: nothing,
  onConnectionDropped: nothing,
  forgetConnection: nothing,
  onConnectionClose: nothing,
  subscriptions: {
    subscribe: (): boolean => false,
    unsubscribe: (): boolean => false,
    isSubscribed: (): boolean => false,
    topicsOf: (_connection: Connection): ReadonlySet<string> => NO_TOPICS,
  },
};
