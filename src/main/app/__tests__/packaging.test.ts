import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import type { Configuration } from 'electron-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCT_NAME } from '../../paths';
import { isOpenableFile } from '../open-args';
import { NATIVE_KERNELS } from '../packaging/verify-package';

/**
 * The installer configuration, checked without Electron: it is valid for electron-builder, every
 * file it names exists after `npm run build`, what the main process imports at run time is a
 * production dependency (devDependencies are not packaged), the worker and everything it imports
 * is unpacked from app.asar, and the icons are well-formed files that match their SVG sources.
 */

// js-yaml (electron-builder's own YAML reader) ships no type declarations: typed here by what is used.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const at = (...parts: string[]): string => join(root, ...parts);

interface FileAssociation {
  ext: string;
  name?: string;
  role?: string;
  icon?: string;
  mimeType?: string;
}
interface TargetEntry {
  target: string;
  arch?: string[];
}
interface BuilderConfig {
  appId: string;
  productName: string;
  version?: string;
  directories: { output: string; buildResources: string };
  files: string[];
  extraResources: { from: string; to: string }[];
  asar: boolean;
  asarUnpack: string[];
  electronFuses?: Record<string, boolean>;
  npmRebuild?: boolean;
  fileAssociations: FileAssociation[];
  mac: {
    target: TargetEntry[];
    icon: string;
    hardenedRuntime: boolean;
    entitlements: string;
    entitlementsInherit: string;
  };
  linux: { target: string[]; icon: string };
  win: { target: TargetEntry[]; icon: string };
}

const packageJson = JSON.parse(readFileSync(at('package.json'), 'utf8')) as {
  name: string;
  productName: string;
  main: string;
  build?: unknown;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const config = yaml.load(readFileSync(at('electron-builder.yml'), 'utf8')) as BuilderConfig;

/** A glob as electron-builder reads one: `**` any path, `*` any name part. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') source += '[^/]*';
    else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
const unpacked = (path: string): boolean => config.asarUnpack.some((glob) => globToRegExp(glob).test(path));

/** Module specifiers a built bundle loads: static and dynamic imports, re-exports, require(). */
function specifiersOf(code: string): string[] {
  const found = new Set<string>();
  const patterns = [
    // Statements at the start of a line (or after a semicolon); braces may span lines.
    /(?:^|;)[ \t]*(?:import|export)[ \t]*(?:(?:[\w$*, \t]|\{[^}]*\})+?from[ \t]*)?["']([^"'\n]+)["']/gm,
    /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g,
    /\brequire\(\s*["']([^"'\n]+)["']\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of code.matchAll(pattern)) found.add(match[1]);
  return [...found];
}

const packageOf = (specifier: string): string =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
const isBuiltin = (specifier: string): boolean =>
  specifier.startsWith('node:') || builtinModules.includes(specifier);

function bundleFiles(dir: string): string[] {
  return readdirSync(at(dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(c|m)?js$/.test(name))
    .map((name) => join(dir, name));
}

describe('electron-builder.yml', () => {
  it('is a configuration electron-builder accepts', async () => {
    const asBuilderSees = (value: unknown): Configuration => structuredClone(value) as Configuration;
    await expect(
      validateConfiguration(asBuilderSees(config), new DebugLogger(false)),
    ).resolves.toBeUndefined();
    // A misspelt key is refused, so the check above can fail.
    await expect(
      validateConfiguration(
        asBuilderSees({ ...config, mac: { hardenedRuntim: true } }),
        new DebugLogger(false),
      ),
    ).rejects.toThrow(/configuration/);
  });

  it('flips the fuses that keep the packaged binary from being run as something else', async () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // onlyLoadAppFromAsar and asar integrity need the app in app.asar.
    expect(config.asar).toBe(true);
    // A misspelt fuse is refused by electron-builder, so the keys above are ones it knows.
    await expect(
      validateConfiguration(
        structuredClone({ ...config, electronFuses: { runAsNod: false } }) as unknown as Configuration,
        new DebugLogger(false),
      ),
    ).rejects.toThrow(/configuration/);
    // Nothing the app ships relies on what the fuses switch off.
    for (const file of [...bundleFiles('out/main'), ...bundleFiles('out/preload'), 'bin/nmf-studio.js']) {
      const text = readFileSync(at(file), 'utf8');
      expect(text, file).not.toMatch(/ELECTRON_RUN_AS_NODE|NODE_OPTIONS/);
    }
  });

  it('names the product consistently and takes the version from package.json', () => {
    expect(config.appId).toBe('org.nmfstudio.app');
    expect(config.productName).toBe(packageJson.productName);
    expect(config.productName).toBe(PRODUCT_NAME);
    expect(config.version).toBeUndefined();
    expect(packageJson.build).toBeUndefined();
    expect(config.directories.buildResources).toBe('resources');
  });

  it('builds AppImage and .deb, a .dmg per Mac CPU with the hardened runtime, and an NSIS installer', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    expect(config.mac.hardenedRuntime).toBe(true);
    expect(config.win.target.map((entry) => entry.target)).toEqual(['nsis']);
  });

  it('packages the build output, the native kernels and package.json only, and all of it exists after the build', () => {
    expect(config.files.filter((pattern) => !pattern.startsWith('!'))).toEqual([
      'out/**',
      'package.json',
      NATIVE_KERNELS,
    ]);
    // The native kernels are not built on Windows (see scripts/build-native.js).
    if (process.platform !== 'win32' && process.env.NMF_STUDIO_NATIVE !== 'off')
      expect(existsSync(at(NATIVE_KERNELS)), `${NATIVE_KERNELS} (run npm run build:native first)`).toBe(true);
    for (const file of [
      packageJson.main,
      'out/main/nmf.worker.js',
      'out/main/kernel-helper.worker.js',
      'out/preload/index.cjs',
      'out/renderer/index.html',
    ])
      expect(existsSync(at(file)), `${file} (run npm run build first)`).toBe(true);
    for (const resource of config.extraResources)
      expect(existsSync(at(resource.from)), resource.from).toBe(true);
  });

  it('rebuilds native modules for Electron and unpacks them', () => {
    expect(config.npmRebuild).not.toBe(false);
    expect(unpacked('node_modules/better-sqlite3/build/Release/better_sqlite3.node')).toBe(true);
    expect(unpacked(NATIVE_KERNELS)).toBe(true);
  });

  it('associates .tsv, .csv, .mtx and .h5ad, each with a name, a role and a document icon for macOS and Windows', () => {
    expect(config.fileAssociations.map((association) => association.ext).sort()).toEqual([
      'csv',
      'h5ad',
      'mtx',
      'tsv',
    ]);
    for (const association of config.fileAssociations) {
      expect(association.name, association.ext).toBeTruthy();
      expect(['Viewer', 'Editor']).toContain(association.role);
      expect(association.mimeType, association.ext).toMatch(/^[a-z]+\/[\w.+-]+$/);
      expect(isOpenableFile(`data.${association.ext}`), `the app opens .${association.ext}`).toBe(true);
      for (const ext of ['icns', 'ico'])
        expect(existsSync(at('resources', `${association.icon}.${ext}`)), `${association.icon}.${ext}`).toBe(
          true,
        );
    }
  });

  it('has the macOS entitlements a hardened Electron app with a WebAssembly JIT needs', () => {
    for (const file of [config.mac.entitlements, config.mac.entitlementsInherit]) {
      const plist = readFileSync(at(file), 'utf8');
      expect(plist).toMatch(/<plist version="1.0">/);
      expect(plist).toMatch(/<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/);
      expect(plist).toMatch(
        /<key>com\.apple\.security\.cs\.allow-unsigned-executable-memory<\/key>\s*<true\/>/,
      );
    }
  });
});

describe('the built bundles', () => {
  const declared = new Set(Object.keys(packageJson.dependencies));

  it('load at run time only built-ins, Electron and production dependencies', () => {
    const problems: string[] = [];
    const files = bundleFiles('out/main');
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) {
      for (const specifier of specifiersOf(readFileSync(at(file), 'utf8'))) {
        if (specifier.startsWith('.')) {
          if (!existsSync(join(dirname(at(file)), specifier)))
            problems.push(`${file}: ${specifier} does not exist`);
        } else if (!isBuiltin(specifier) && specifier !== 'electron' && !declared.has(packageOf(specifier))) {
          const where = packageJson.devDependencies[packageOf(specifier)]
            ? 'a devDependency'
            : 'not declared';
          problems.push(`${file}: imports ${specifier}, which is ${where}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('the sandboxed preload requires nothing but electron', () => {
    const specifiers = bundleFiles('out/preload').flatMap((file) =>
      specifiersOf(readFileSync(at(file), 'utf8')),
    );
    expect(specifiers).toEqual(['electron']);
  });

  it('finds imports in all the shapes a bundle writes them', () => {
    expect(
      specifiersOf(
        'import { a } from "zod";import * as b from \'munkres\';\nimport "side";export { c } from "./c.js";\n' +
          'import {\n\tx,\n\ty\n} from "ml-matrix";\nconst help = `to import data from \'a file\'`;\n' +
          'const d = await import("h5wasm/node"); require("better-sqlite3");',
      ).sort(),
    ).toEqual(['./c.js', 'better-sqlite3', 'h5wasm/node', 'ml-matrix', 'munkres', 'side', 'zod']);
  });

  it('unpacks the workers, package.json and everything the workers import, down to dependencies of dependencies', () => {
    const needed = new Set<string>(['package.json']);
    const packages: string[] = [];
    const visit = (file: string): void => {
      if (needed.has(file)) return;
      needed.add(file);
      for (const specifier of specifiersOf(readFileSync(at(file), 'utf8'))) {
        if (specifier.startsWith('.'))
          visit(
            relative(root, join(dirname(at(file)), specifier))
              .split('\\')
              .join('/'),
          );
        else if (!isBuiltin(specifier)) packages.push(packageOf(specifier));
      }
    };
    visit('out/main/nmf.worker.js');
    visit('out/main/kernel-helper.worker.js');
    const seen = new Set<string>();
    while (packages.length > 0) {
      const name = packages.pop() as string;
      if (seen.has(name)) continue;
      seen.add(name);
      const manifest = JSON.parse(readFileSync(at('node_modules', name, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      packages.push(...Object.keys(manifest.dependencies ?? {}));
      needed.add(`node_modules/${name}/package.json`);
    }
    expect(seen.size).toBeGreaterThan(0);
    expect([...needed].filter((path) => !unpacked(path))).toEqual([]);
  });

  it('reads globs the way electron-builder does', () => {
    expect(globToRegExp('**/*.node').test('node_modules/a/build/Release/a.node')).toBe(true);
    expect(globToRegExp('**/*.node').test('a.node')).toBe(true);
    expect(globToRegExp('out/main/**').test('out/main/chunks/x.js')).toBe(true);
    expect(globToRegExp('out/main/**').test('out/renderer/index.html')).toBe(false);
    expect(globToRegExp('package.json').test('node_modules/x/package.json')).toBe(false);
  });
});

describe('icons', () => {
  const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const pngSize = (png: Buffer): number => {
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(png.readUInt32BE(20));
    return png.readUInt32BE(16);
  };

  it('has a PNG per size for Linux, square and of the size its name says', () => {
    expect(config.linux.icon).toBe('resources/icons');
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024])
      expect(pngSize(readFileSync(at('resources', 'icons', `${size}x${size}.png`)))).toBe(size);
  });

  it('has .ico files whose directory points at PNG images of the sizes it declares', () => {
    for (const file of [config.win.icon, 'resources/document.ico']) {
      const ico = readFileSync(at(file));
      expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1]);
      const count = ico.readUInt16LE(4);
      const sizes: number[] = [];
      for (let i = 0; i < count; i++) {
        const entry = 6 + 16 * i;
        const declared = ico[entry] === 0 ? 256 : ico[entry];
        const length = ico.readUInt32LE(entry + 8);
        const offset = ico.readUInt32LE(entry + 12);
        expect(offset + length).toBeLessThanOrEqual(ico.length);
        expect(pngSize(ico.subarray(offset, offset + length))).toBe(declared);
        sizes.push(declared);
      }
      expect(sizes).toContain(16);
      expect(sizes).toContain(256);
    }
  });

  it('has .icns files made of PNG chunks up to 1024 px, with a length that matches the file', () => {
    const expected: Record<string, number> = {
      ic07: 128,
      ic08: 256,
      ic09: 512,
      ic10: 1024,
      ic11: 32,
      ic12: 64,
      ic13: 256,
      ic14: 512,
    };
    for (const file of [config.mac.icon, 'resources/document.icns']) {
      const icns = readFileSync(at(file));
      expect(icns.toString('latin1', 0, 4)).toBe('icns');
      expect(icns.readUInt32BE(4)).toBe(icns.length);
      const types: string[] = [];
      for (let offset = 8; offset < icns.length;) {
        const type = icns.toString('latin1', offset, offset + 4);
        const length = icns.readUInt32BE(offset + 4);
        expect(length).toBeGreaterThan(8);
        expect(pngSize(icns.subarray(offset + 8, offset + length))).toBe(expected[type]);
        types.push(type);
        offset += length;
      }
      expect(types.sort()).toEqual(Object.keys(expected).sort());
    }
  });

  describe('regenerated from the SVG sources', () => {
    let out: string;
    beforeAll(() => {
      out = mkdtempSync(join(tmpdir(), 'nmf-icons-'));
      execFileSync(process.execPath, [at('scripts', 'icons.js'), '--out', out]);
    });
    afterAll(() => rmSync(out, { recursive: true, force: true }));

    it('match the committed icons byte for byte (run npm run icons after editing an SVG)', () => {
      const names = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((name) =>
        name.includes('.'),
      );
      expect(names.length).toBe(14);
      for (const name of names)
        expect(readFileSync(join(out, name)).equals(readFileSync(at('resources', name))), name).toBe(true);
    });
  });
});
