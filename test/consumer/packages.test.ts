/**
 * The packages as a user gets them: every public package is packed with `pnpm pack`, installed
 * with npm into an empty project outside the workspace (no workspace links, no path aliases),
 * then loaded with `require` and `import`, used to echo a message over a real socket, and
 * type-checked by strict TypeScript consumers that have no `@types/node` of their own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { publicPackages, root } from '../../scripts/public-packages';
import { installConsumer } from './consumer-project';
import { packAll, run, type Tarball } from './pack';

const packages = publicPackages();
const names = packages.map((pkg) => pkg.name);
const fixtures = path.join(__dirname, 'fixtures');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
/**
 * A tarball past this is a packing mistake (tests, sources and maps roughly double one), not growth:
 * `@ws/core` packs to about 151 KiB (its declarations keep their doc comments), so 200 KiB leaves
 * room to grow and still catches a doubling.
 */
const TARBALL_BUDGET = 200 * 1024;
const ALLOWED_TOP = new Set(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']);

let base: string;
let project: string;
let tarballs: Tarball[];

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-consumer-'));
  tarballs = await packAll(packages, base);
  project = path.join(base, 'project');
  await installConsumer(project, tarballs, ['ws']);
  for (const file of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, file), path.join(project, file));
  // Every public package, including ones this test names nowhere else, must type-check.
  const imports = names.map((name, i) => `import * as package${i} from '${name}';`);
  fs.writeFileSync(
    path.join(project, 'all-packages.mts'),
    `${imports.join('\n')}\nexport const loaded = [${names.map((_, i) => `package${i}`).join(', ')}];\n`,
  );
}, 300_000);

afterAll(() => {
  if (base) fs.rmSync(base, { recursive: true, force: true });
});

async function node(script: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [script, ...args], { cwd: project, timeout: 30_000 });
  return stdout.trim();
}

it('finds the public packages from packages/*/package.json', () => {
  expect(names).toEqual(expect.arrayContaining(['@ws/core', '@ws/deflate', '@ws/heartbeat']));
  expect(names).not.toContain('@ws/bench');
});

describe.each(packages.map((pkg) => [pkg.name, pkg] as const))('%s', (_name, pkg) => {
  const tarball = (): Tarball => tarballs.find((t) => t.pkg === pkg)!;
  const packed = (): Record<string, any> =>
    JSON.parse(fs.readFileSync(path.join(tarball().unpacked, 'package.json'), 'utf8'));

  it('packs only what users need, within budget', () => {
    const { files, bytes } = tarball();
    expect(bytes).toBeLessThan(TARBALL_BUDGET);
    expect(files.filter((file) => !ALLOWED_TOP.has(file) && !file.startsWith('dist/'))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']));
    expect(files.filter((file) => /(^|\/)(test|tests|__tests__)\/|\.test\.|\.tsbuildinfo$/.test(file))).toEqual([]);
  });

  it('ships no build output without a source file (a stale dist/)', () => {
    const stray = tarball()
      .files.filter((file) => file.startsWith('dist/'))
      .map((file) => file.replace(/^dist\//, '').replace(/(\.d\.ts|\.js)(\.map)?$/, ''))
      .filter((stem) => !fs.existsSync(path.join(pkg.dir, 'src', `${stem}.ts`)));
    expect(stray).toEqual([]);
  });

  it('ships no source map whose sources are missing', () => {
    const { files, unpacked } = tarball();
    const missing: string[] = [];
    for (const map of files.filter((file) => file.endsWith('.map'))) {
      const { sources, sourcesContent } = JSON.parse(fs.readFileSync(path.join(unpacked, map), 'utf8'));
      if (Array.isArray(sourcesContent) && sourcesContent.every((s: unknown) => typeof s === 'string')) continue;
      for (const source of sources as string[]) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(map), source));
        if (!files.includes(target)) missing.push(`${map} -> ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has a package.json fit for the registry', () => {
    const manifest = packed();
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    const entry = manifest.exports?.['.'];
    expect(Object.keys(entry)[0]).toBe('types');
    for (const target of [manifest.main, manifest.types, entry.types, entry.default ?? entry.require]) {
      expect(tarball().files).toContain(path.posix.normalize(target));
    }
    expect(manifest.files).toEqual(expect.arrayContaining(['dist']));
    expect(manifest.engines?.node).toMatch(/^>=\d+/);
    expect(manifest.repository).toMatchObject({ type: 'git', directory: path.relative(root, pkg.dir) });
    expect(manifest.repository.url).toBe(rootRepository());
    expect(manifest.keywords?.length).toBeGreaterThan(0);
    expect(manifest.license).toBe('MIT');
    expect(typeof manifest.sideEffects === 'boolean' || Array.isArray(manifest.sideEffects)).toBe(true);
    expect(manifest.description).toEqual(expect.any(String));
  });

  it('has a README that renders alone: every link is absolute or an anchor', () => {
    const readme = fs.readFileSync(path.join(tarball().unpacked, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)/g)].map((match) => match[1]);
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((target) => !/^(https?:\/\/|#)/.test(target))).toEqual([]);
  });

  it('declares what its typings need, so a plain install brings Node’s types', () => {
    const declarations = tarball()
      .files.filter((file) => file.endsWith('.d.ts'))
      .map((file) => fs.readFileSync(path.join(tarball().unpacked, file), 'utf8'))
      .join('\n');
    if (/\bBuffer\b|\bNodeJS\.|from 'node:|from "node:/.test(declarations)) {
      expect(packed().dependencies?.['@types/node']).toEqual(expect.any(String));
      const index = fs.readFileSync(path.join(tarball().unpacked, packed().types), 'utf8');
      expect(index).toMatch(/^\/\/\/ <reference types="node"/m);
    }
  });
});

it('lists every public package in the root README with its tarball size', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  for (const name of names) {
    expect(readme).toMatch(new RegExp(`^\\| \\[\`${name}\`\\].*\\| [\\d.]+ kB \\|`, 'm'));
  }
});

it('installs from the tarballs alone: the consumer lists no @types/node, yet has it', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
  expect(Object.keys(manifest.dependencies)).not.toContain('@types/node');
  for (const name of names) {
    expect(fs.lstatSync(path.join(project, 'node_modules', name)).isSymbolicLink()).toBe(false);
  }
  expect(fs.existsSync(path.join(project, 'node_modules', '@types', 'node', 'package.json'))).toBe(true);
});

it('loads every package with require and with import, with the same named exports', async () => {
  const required = JSON.parse(await node('load.cjs', ...names)) as Record<string, string[]>;
  const imported = JSON.parse(await node('load.mjs', ...names)) as Record<string, string[]>;
  for (const name of names) {
    expect(required[name].length).toBeGreaterThan(0);
    expect(imported[name]).toEqual(required[name]);
  }
  expect(required['@ws/core']).toEqual(expect.arrayContaining(['Server', 'Connection', 'CloseCode']));
  expect(required['@ws/deflate']).toContain('deflate');
  expect(required['@ws/heartbeat']).toContain('heartbeat');
});

it.each(['echo-server.cjs', 'echo-server.mjs'])(
  'echoes a message through deflate and heartbeat to the ws client (%s)',
  async (script) => {
    const result = JSON.parse(await node(script));
    expect(result).toEqual({
      text: 'hello from a consumer',
      isBinary: false,
      extensions: expect.stringMatching(/^permessage-deflate/),
    });
  },
);

it.each(['nodenext', 'bundler'])(
  'type-checks a strict TypeScript consumer with moduleResolution %s and no @types/node of its own',
  async (resolution) => {
    const config = {
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        lib: ['ES2022'],
        module: resolution === 'nodenext' ? 'nodenext' : 'preserve',
        moduleResolution: resolution,
        types: [],
        skipLibCheck: false,
      },
      files: ['consumer.mts', 'consumer.cts', 'all-packages.mts'],
    };
    const file = `tsconfig.${resolution}.json`;
    fs.writeFileSync(path.join(project, file), JSON.stringify(config, null, 2));
    const result = await run(process.execPath, [tsc, '-p', file], { cwd: project, timeout: 120_000 }).catch(
      (error: Error & { stdout?: string }) => ({ stdout: error.stdout || error.message }),
    );
    expect(result.stdout).toBe('');
  },
  120_000,
);

function rootRepository(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return manifest.repository.url as string;
}
