import type { Extension, ExtensionAcceptance, ExtensionOffer } from '../extension/extension';
import { formatExtension } from './extension-header';

export interface NegotiatedExtension {
  readonly extension: Extension;
  readonly acceptance: ExtensionAcceptance;
}

export interface NegotiationResult {
  readonly accepted: readonly NegotiatedExtension[];
  /** The response's `Sec-WebSocket-Extensions` value, or '' when nothing was accepted. */
  readonly header: string;
  /** RSV bits claimed by the accepted extensions. */
  readonly rsv: number;
}

const NOTHING: NegotiationResult = { accepted: [], header: '', rsv: 0 };

/**
 * Each configured extension, in the server's order, sees every offer bearing its name and may
 * accept one. A declined or unknown offer is simply left out: the handshake goes on without it
 * (RFC 6455 §9.1). An extension that throws on hostile offers counts as declining.
 */
export function negotiateExtensions(
  extensions: readonly Extension[],
  offers: readonly ExtensionOffer[],
): NegotiationResult {
  if (extensions.length === 0 || offers.length === 0) return NOTHING;
  const accepted: NegotiatedExtension[] = [];
  const entries: string[] = [];
  let rsv = 0;
  for (const extension of extensions) {
    const own = offers.filter((offer) => offer.name === extension.name);
    if (own.length === 0) continue;
    let acceptance: ExtensionAcceptance | null;
    try {
      acceptance = extension.negotiate(own);
    } catch {
      acceptance = null;
    }
    if (acceptance === null) continue;
    accepted.push({ extension, acceptance });
    entries.push(formatExtension(extension.name, acceptance.params));
    rsv |= extension.rsv;
  }
  return accepted.length === 0 ? NOTHING : { accepted, header: entries.join(', '), rsv };
}

/** Checks a server's extension list once, at construction: no RSV bit claimed twice. */
export function checkExtensionList(extensions: readonly Extension[]): void {
  let claimed = 0;
  const names = new Set<string>();
  for (const extension of extensions) {
    if ((extension.rsv & ~0b111) !== 0) {
      throw new RangeError(`extension ${extension.name} claims invalid RSV bits ${extension.rsv}`);
    }
    if ((claimed & extension.rsv) !== 0) {
      throw new Error(`extension ${extension.name} claims an RSV bit already claimed by another extension`);
    }
    if (names.has(extension.name)) throw new Error(`extension ${extension.name} is configured twice`);
    names.add(extension.name);
    claimed |= extension.rsv;
  }
}
