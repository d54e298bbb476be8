/**
 * Throws a TypeError naming the first key of `options` that is not in `known`, so a misspelt
 * option (`treshold`, `pingInterval`) fails when the extension or plugin is built instead of
 * silently running with the default. For extension and plugin authors: `owner` names the
 * package in the message (`deflate: unknown option "treshold"`).
 */
export function rejectUnknownOptions(owner: string, options: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`${owner}: unknown option "${key}"`);
  }
}
