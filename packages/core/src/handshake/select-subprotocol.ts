import type { ProtocolSelector } from '../server/options';
import type { UpgradeRequest } from '../server/transport';

/**
 * Chooses the subprotocol (RFC 6455 §4.2.2 step 5.4): with a list, the first of the server's
 * that the client offered; with a function, its answer. Never one the client did not offer:
 * an answer outside the offer means none.
 */
export function selectSubprotocol(
  option: readonly string[] | ProtocolSelector | undefined,
  offered: readonly string[],
  request: UpgradeRequest,
): string {
  if (option === undefined || offered.length === 0) return '';
  const chosen = typeof option === 'function' ? option(offered, request) : option.find((p) => offered.includes(p));
  return typeof chosen === 'string' && offered.includes(chosen) ? chosen : '';
}
