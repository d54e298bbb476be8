'use strict';
/**
 * The packages this repository publishes: every `packages/<dir>/package.json` that is not
 * `private`. Read from disk each time, so a new package is picked up by the consumer test, the
 * API reference and Changesets without editing a list.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** @returns {{ name: string, dir: string, manifest: Record<string, any> }[]} sorted by name */
function publicPackages() {
  const packagesDir = path.join(root, 'packages');
  const found = [];
  for (const entry of fs.readdirSync(packagesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = path.join(packagesDir, entry.name, 'package.json');
    if (!fs.existsSync(file)) continue;
    const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (manifest.private === true) continue;
    found.push({ name: manifest.name, dir: path.dirname(file), manifest });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

module.exports = { root, publicPackages };

if (require.main === module) {
  for (const pkg of publicPackages()) console.log(`${pkg.name}\t${path.relative(root, pkg.dir)}`);
}
