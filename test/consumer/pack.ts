/**
 * Packs every public package the way a release does (`pnpm pack`: its `prepack` cleans and
 * builds `dist/`, `workspace:` ranges become versions) and unpacks each tarball to read it back.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { PublicPackage } from '../../scripts/public-packages';

export const run = promisify(execFile);

export interface Tarball {
  pkg: PublicPackage;
  file: string;
  bytes: number;
  /** Where the tarball was unpacked (its `package/` folder). */
  unpacked: string;
  /** Every file of the tarball, relative to `package/`, sorted. */
  files: string[];
}

/** pnpm as the root script runs it, or the README's `npx -y pnpm@10` when jest runs alone. */
function pnpmCommand(): [string, string[]] {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /pnpm/.test(path.basename(execPath))) return [process.execPath, [execPath]];
  return ['npx', ['-y', 'pnpm@10']];
}

export async function packAll(packages: PublicPackage[], destination: string): Promise<Tarball[]> {
  const tarballs: Tarball[] = [];
  // A package's build reads the declarations its workspace dependencies built, and `prepack`
  // cleans them first: pack in dependency order, side by side within one level (two cores).
  for (const level of dependencyLevels(packages)) {
    tarballs.push(
      ...(await Promise.all(level.map((pkg) => packOne(pkg, path.join(destination, path.basename(pkg.dir)))))),
    );
  }
  return tarballs;
}

/** `packages` in levels: each package comes after every one of them it depends on. */
function dependencyLevels(packages: PublicPackage[]): PublicPackage[][] {
  const dependsOn = (pkg: PublicPackage): string[] =>
    ['dependencies', 'peerDependencies', 'devDependencies'].flatMap((field) =>
      Object.keys((pkg.manifest[field] ?? {}) as Record<string, string>),
    );
  const levels: PublicPackage[][] = [];
  const done = new Set<string>();
  let left = packages;
  while (left.length > 0) {
    const names = new Set(left.map((pkg) => pkg.name));
    const ready = left.filter((pkg) => dependsOn(pkg).every((dep) => !names.has(dep) || done.has(dep)));
    if (ready.length === 0) throw new Error(`dependency cycle among ${[...names].join(', ')}`);
    levels.push(ready);
    for (const pkg of ready) done.add(pkg.name);
    left = left.filter((pkg) => !ready.includes(pkg));
  }
  return levels;
}

async function packOne(pkg: PublicPackage, into: string): Promise<Tarball> {
  const [command, prefix] = pnpmCommand();
  fs.mkdirSync(into, { recursive: true });
  await run(command, [...prefix, 'pack', '--pack-destination', into], { cwd: pkg.dir, timeout: 240_000 }).catch(
    (error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`pnpm pack of ${pkg.name} failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    },
  );
  const made = fs.readdirSync(into).filter((name) => name.endsWith('.tgz'));
  if (made.length !== 1) throw new Error(`pnpm pack of ${pkg.name} made ${made.length} tarballs`);
  const file = path.join(into, made[0]);
  await run('tar', ['-xzf', file, '-C', into]);
  const unpacked = path.join(into, 'package');
  const files = (fs.readdirSync(unpacked, { recursive: true }) as string[])
    .filter((name) => fs.statSync(path.join(unpacked, name)).isFile())
    .map((name) => name.split(path.sep).join('/'))
    .sort();
  return { pkg, file, bytes: fs.statSync(file).size, unpacked, files };
}
