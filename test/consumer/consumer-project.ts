/**
 * An empty project outside the workspace that installs the packed tarballs with npm, as a user
 * would. Their third-party dependencies (and the `ws` client the test drives) are the copies
 * this workspace already installed, archived again and pinned through npm `overrides`, so the
 * install needs no network and no workspace link or path alias reaches the consumer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PublicPackage } from '../../scripts/public-packages';
import { run, type Tarball } from './pack';

interface Installed {
  name: string;
  version: string;
  dir: string;
}

/** The folder `name` resolves to from `fromDir`, as Node's lookup through `node_modules` finds it. */
function findInstalled(name: string, fromDir: string): Installed {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) {
      const real = fs.realpathSync(candidate);
      const { version } = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8')) as { version: string };
      return { name, version, dir: real };
    }
    if (path.dirname(dir) === dir)
      throw new Error(`${name} is not installed in the workspace (looked from ${fromDir})`);
  }
}

/** What installing `manifest` pulls in: dependencies and the peers npm installs (non-optional ones). */
function requiredNames(manifest: Record<string, any>): string[] {
  const optional = (manifest.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter((name) => optional[name]?.optional !== true);
  return [...Object.keys(manifest.dependencies ?? {}), ...peers];
}

/** Every third-party package the public packages need, transitively, found in the workspace. */
function thirdPartyClosure(packages: PublicPackage[], extra: string[]): Map<string, Installed> {
  const ours = new Set(packages.map((pkg) => pkg.name));
  const found = new Map<string, Installed>();
  const queue: Array<{ name: string; fromDir: string }> = [
    ...packages.flatMap((pkg) => requiredNames(pkg.manifest).map((name) => ({ name, fromDir: pkg.dir }))),
    ...extra.map((name) => ({ name, fromDir: packages[0].dir })),
  ];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    if (ours.has(item.name)) continue;
    const installed = findInstalled(item.name, item.fromDir);
    const known = found.get(item.name);
    if (known !== undefined) {
      if (known.version !== installed.version) {
        throw new Error(`${item.name} is installed at ${known.version} and ${installed.version}; pin one version`);
      }
      continue;
    }
    found.set(item.name, installed);
    const manifest = JSON.parse(fs.readFileSync(path.join(installed.dir, 'package.json'), 'utf8'));
    queue.push(...requiredNames(manifest).map((name) => ({ name, fromDir: installed.dir })));
  }
  return found;
}

/**
 * Creates `dir` with a package.json naming the tarballs and `extra` (as dependencies of the
 * consumer itself) and runs `npm install --offline` in it.
 */
export async function installConsumer(dir: string, tarballs: Tarball[], extra: string[]): Promise<void> {
  const packages = tarballs.map((tarball) => tarball.pkg);
  const vendor = path.join(dir, 'vendor');
  fs.mkdirSync(vendor, { recursive: true });
  const thirdParty = [...thirdPartyClosure(packages, extra).values()];
  // Each installed folder is what its tarball held: archive it again under `package/` (npm pack
  // would re-read the manifest and crashes on some, such as ioredis 6).
  const specOf = new Map<string, string>();
  for (const dep of thirdParty) {
    const filename = `${dep.name.replace(/^@/, '').replace('/', '-')}-${dep.version}.tgz`;
    await run('tar', ['-czf', path.join(vendor, filename), '--transform', 's,^\\.,package,', '-C', dep.dir, '.']);
    specOf.set(dep.name, `file:vendor/${filename}`);
  }

  const dependencies: Record<string, string> = {};
  for (const tarball of tarballs) dependencies[tarball.pkg.name] = `file:${tarball.file}`;
  for (const name of extra) dependencies[name] = specOf.get(name)!;
  // npm refuses an override that differs from a direct dependency's spec, so those stay out.
  const overrides: Record<string, string> = {};
  for (const [name, spec] of specOf) if (!(name in dependencies)) overrides[name] = spec;

  const manifest = { name: 'ws-consumer', version: '0.0.0', private: true, dependencies, overrides };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
    cwd: dir,
    timeout: 120_000,
  });
}
