import type { ExtensionParam } from '@ws/core';
import { MAX_WINDOW_BITS, type DeflateConfig } from './options';
import { parseWindowBits, type DeflateAgreement, type DeflateOffer } from './negotiate';

/**
 * permessage-deflate negotiation, client side (RFC 7692 §5, §7.1). Pure: options in, the offer
 * out; the server's response in, the agreed configuration out, or an Error naming the rule the
 * response broke (the client must then fail the connection, §5).
 *
 * The same `DeflateOptions` mean the same parameters on both sides; a client states them in its
 * offer where a server states them in its response:
 *
 * | option                          | offer carries                                 |
 * |---------------------------------|-----------------------------------------------|
 * | serverNoContextTakeover: true   | server_no_context_takeover (the server must echo it) |
 * | clientNoContextTakeover: true   | client_no_context_takeover (the client keeps no context anyway) |
 * | serverMaxWindowBits < 15 (set)  | server_max_window_bits=N (the server must answer N or less) |
 * | clientMaxWindowBits             | client_max_window_bits (no value at 15 or unset, =N below) |
 */

/** The one offer a client with `config` makes. */
export function offerOf(config: DeflateConfig): DeflateOffer {
  return {
    serverNoContextTakeover: config.serverNoContextTakeover,
    clientNoContextTakeover: config.clientNoContextTakeover,
    // Asked for only when configured: a server that cannot limit its window must decline an
    // offer that asks it to (§7.1.2.1), so by default the server picks, as Python websockets' and
    // ws's clients let it.
    serverMaxWindowBits:
      config.windowBitsGiven.server && config.serverMaxWindowBits < MAX_WINDOW_BITS
        ? config.serverMaxWindowBits
        : undefined,
    // Always offered: without it the server may not ask for a smaller client window (§7.1.2.2),
    // and a server configured to need one would decline the offer. With no value it only says
    // the client supports the parameter; with one, the client promises to stay within it.
    clientMaxWindowBits:
      config.windowBitsGiven.client && config.clientMaxWindowBits < MAX_WINDOW_BITS ? config.clientMaxWindowBits : true,
  };
}

/** An offer's parameters, as they go into `Sec-WebSocket-Extensions` (`parseOffer`'s inverse). */
export function offerParams(offer: DeflateOffer): ExtensionParam[] {
  const params: ExtensionParam[] = [];
  if (offer.serverNoContextTakeover) params.push({ name: 'server_no_context_takeover', value: true });
  if (offer.clientNoContextTakeover) params.push({ name: 'client_no_context_takeover', value: true });
  if (offer.serverMaxWindowBits !== undefined) {
    params.push({ name: 'server_max_window_bits', value: String(offer.serverMaxWindowBits) });
  }
  if (offer.clientMaxWindowBits !== undefined) {
    const value = offer.clientMaxWindowBits === true ? true : String(offer.clientMaxWindowBits);
    params.push({ name: 'client_max_window_bits', value });
  }
  return params;
}

/**
 * Checks the server's response `params` to `offer`, and returns what both sides now do.
 * Throws an Error whose message names the rule the response broke.
 */
export function acceptResponse(params: readonly ExtensionParam[], offer: DeflateOffer): DeflateAgreement {
  let serverNoContextTakeover = false;
  let clientNoContextTakeover = false;
  let serverMaxWindowBits: number | undefined;
  let clientMaxWindowBits: number | undefined;
  const seen = new Set<string>();
  for (const { name, value } of params) {
    // §5: a parameter the extension does not define for a response, or one given twice, fails.
    if (seen.has(name)) throw responseError(`duplicate parameter ${name}`);
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        // §7.1.1.1, §7.1.1.2: neither has a value.
        if (value !== true) throw responseError(`${name} must have no value (got ${name}=${value})`);
        if (name === 'server_no_context_takeover') serverNoContextTakeover = true;
        else clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
      case 'client_max_window_bits': {
        // §7.1.2.1, §7.1.2.2: in a response both need an integer value from 8 to 15, with no
        // leading zeros.
        const bits = value === true ? 0 : parseWindowBits(value);
        if (bits === 0) {
          const shown = value === true ? 'no value' : `${name}=${value}`;
          throw responseError(`${name} must be an integer from 8 to 15 (got ${shown})`);
        }
        if (name === 'server_max_window_bits') serverMaxWindowBits = bits;
        else clientMaxWindowBits = bits;
        break;
      }
      default:
        throw responseError(`unknown parameter ${name}`);
    }
  }

  // §7.1.1.1: a server accepts an offer carrying server_no_context_takeover by including it in
  // its response; it may include it unasked.
  if (offer.serverNoContextTakeover && !serverNoContextTakeover) {
    throw responseError('server_no_context_takeover was offered but the response lacks it');
  }
  // §7.1.2.1: an offered server_max_window_bits is accepted by answering the same or a smaller
  // value; unoffered, the server may still state one (any of 8-15).
  const offeredServerBits = offer.serverMaxWindowBits;
  if (offeredServerBits !== undefined) {
    if (serverMaxWindowBits === undefined) {
      throw responseError(`server_max_window_bits=${offeredServerBits} was offered but the response lacks it`);
    }
    if (serverMaxWindowBits > offeredServerBits) {
      throw responseError(
        `server_max_window_bits=${serverMaxWindowBits} is larger than the ${offeredServerBits} offered`,
      );
    }
  }
  // §7.1.2.2: only an offer carrying client_max_window_bits may be answered with it; the server
  // may lower the client's window, never raise it past an offered value.
  if (offer.clientMaxWindowBits === undefined && clientMaxWindowBits !== undefined) {
    throw responseError('client_max_window_bits in the response, but the offer did not carry it');
  }
  const offeredClientBits =
    offer.clientMaxWindowBits === true ? MAX_WINDOW_BITS : (offer.clientMaxWindowBits ?? MAX_WINDOW_BITS);
  if (clientMaxWindowBits !== undefined && clientMaxWindowBits > offeredClientBits) {
    throw responseError(
      `client_max_window_bits=${clientMaxWindowBits} is larger than the ${offeredClientBits} offered`,
    );
  }

  return {
    serverNoContextTakeover,
    // §7.1.1.2: having offered client_no_context_takeover, the client keeps no context even if
    // the server did not echo it.
    clientNoContextTakeover: clientNoContextTakeover || offer.clientNoContextTakeover,
    serverMaxWindowBits: serverMaxWindowBits ?? MAX_WINDOW_BITS,
    clientMaxWindowBits: clientMaxWindowBits ?? offeredClientBits,
    params,
  };
}

function responseError(rule: string): Error {
  return new Error(`invalid permessage-deflate response (RFC 7692): ${rule}`);
}
