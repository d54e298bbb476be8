import type { ExtensionOffer, ExtensionParam } from '@ws/core';
import { MAX_WINDOW_BITS, type DeflateConfig } from './options';

/**
 * permessage-deflate negotiation, server side (RFC 7692 §7.1). Pure: offers in, the agreed
 * configuration and the response's parameters out, or null to decline every offer.
 *
 * The first offer that is well formed and that the server's options can satisfy wins
 * (RFC 7692 §5.1: the server picks one of the client's offers, which come in its order of
 * preference). An offer is declined (§7) when it has a parameter not defined for offers, a
 * parameter twice, a value that is not allowed, or asks for what the server will not do.
 */

/** What a client asked for in one offer, once parsed. */
export interface DeflateOffer {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  /** `undefined`: not offered. */
  readonly serverMaxWindowBits: number | undefined;
  /** `undefined`: not offered; `true`: offered without a value. */
  readonly clientMaxWindowBits: number | true | undefined;
}

/** The configuration both sides agreed on, and the response that states it. */
export interface DeflateAgreement {
  /** The server resets its compressor after every message. */
  readonly serverNoContextTakeover: boolean;
  /** The client resets its compressor after every message, so the server's decompressor may too. */
  readonly clientNoContextTakeover: boolean;
  /** The largest window the server compresses with (8-15). */
  readonly serverMaxWindowBits: number;
  /** The largest window the client compresses with (8-15; 15 unless the response says less). */
  readonly clientMaxWindowBits: number;
  /** The parameters of the response's `permessage-deflate` entry. */
  readonly params: readonly ExtensionParam[];
}

/** Picks the first acceptable offer, or returns null to decline them all. */
export function negotiateDeflate(offers: readonly ExtensionOffer[], config: DeflateConfig): DeflateAgreement | null {
  for (const offer of offers) {
    const parsed = parseOffer(offer.params);
    if (parsed === null) continue;
    const agreement = acceptOffer(parsed, config);
    if (agreement !== null) return agreement;
  }
  return null;
}

/** Reads one offer's parameters; null when the offer is malformed and must be declined (§7). */
export function parseOffer(params: readonly ExtensionParam[]): DeflateOffer | null {
  let serverNoContextTakeover = false;
  let clientNoContextTakeover = false;
  let serverMaxWindowBits: number | undefined;
  let clientMaxWindowBits: number | true | undefined;
  for (const { name, value } of params) {
    switch (name) {
      case 'server_no_context_takeover':
        // §7.1.1.1: this parameter has no value.
        if (serverNoContextTakeover || value !== true) return null;
        serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        // §7.1.1.2: no value either.
        if (clientNoContextTakeover || value !== true) return null;
        clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        // §7.1.2.1: a value is required.
        if (serverMaxWindowBits !== undefined || value === true) return null;
        const bits = parseWindowBits(value);
        if (bits === 0) return null;
        serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        // §7.1.2.2: the value is optional.
        if (clientMaxWindowBits !== undefined) return null;
        if (value === true) {
          clientMaxWindowBits = true;
        } else {
          const bits = parseWindowBits(value);
          if (bits === 0) return null;
          clientMaxWindowBits = bits;
        }
        break;
      }
      default:
        return null;
    }
  }
  return { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits };
}

/**
 * §7.1.2.1: "a decimal integer value without leading zeroes between 8 to 15, inclusive".
 * Returns 0 for anything else (`07`, `16`, `+9`, `9.0`, ` 9`).
 */
export function parseWindowBits(value: string): number {
  switch (value) {
    case '8':
      return 8;
    case '9':
      return 9;
    case '10':
      return 10;
    case '11':
      return 11;
    case '12':
      return 12;
    case '13':
      return 13;
    case '14':
      return 14;
    case '15':
      return 15;
    default:
      return 0;
  }
}

/** Decides the configuration for one well-formed offer, or null when the server will not. */
export function acceptOffer(offer: DeflateOffer, config: DeflateConfig): DeflateAgreement | null {
  // §7.1.2.2: the server may ask for a smaller client window only if the client offered the
  // parameter. A server configured to require one declines offers that cannot carry it.
  if (
    config.requireClientMaxWindowBits &&
    config.clientMaxWindowBits < MAX_WINDOW_BITS &&
    offer.clientMaxWindowBits === undefined
  ) {
    return null;
  }

  // §7.1.1.1: an offer with server_no_context_takeover is accepted by answering it; the server
  // may also answer it unasked.
  const serverNoContextTakeover = offer.serverNoContextTakeover || config.serverNoContextTakeover;
  // §7.1.1.2: the server may always answer client_no_context_takeover; when the client offered
  // it (a hint that it won't take over anyway), echoing it lets the server drop its inflate
  // context between messages at no cost in compression.
  const clientNoContextTakeover = offer.clientNoContextTakeover || config.clientNoContextTakeover;
  // §7.1.2.1: the answer must carry server_max_window_bits with the same or a smaller value
  // when offered, and may carry it unasked.
  const serverMaxWindowBits = Math.min(offer.serverMaxWindowBits ?? MAX_WINDOW_BITS, config.serverMaxWindowBits);
  // §7.1.2.2: when offered with a value, the answer may repeat it or go lower; never higher.
  let clientMaxWindowBits = MAX_WINDOW_BITS;
  if (offer.clientMaxWindowBits !== undefined) {
    const offered = offer.clientMaxWindowBits === true ? MAX_WINDOW_BITS : offer.clientMaxWindowBits;
    clientMaxWindowBits = Math.min(offered, config.clientMaxWindowBits);
  }

  const params: ExtensionParam[] = [];
  if (serverNoContextTakeover) params.push({ name: 'server_no_context_takeover', value: true });
  if (clientNoContextTakeover) params.push({ name: 'client_no_context_takeover', value: true });
  if (offer.serverMaxWindowBits !== undefined || serverMaxWindowBits < MAX_WINDOW_BITS) {
    params.push({ name: 'server_max_window_bits', value: String(serverMaxWindowBits) });
  }
  // Only below 15: 15 is what the client may use without being told, and a client that did not
  // offer the parameter must never see it (§7.1.2.2), which the check above already ensures.
  if (clientMaxWindowBits < MAX_WINDOW_BITS) {
    params.push({ name: 'client_max_window_bits', value: String(clientMaxWindowBits) });
  }
  return { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits, params };
}
