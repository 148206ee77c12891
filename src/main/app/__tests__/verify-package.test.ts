import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { electronAbi, findPackagedApps, verifyPackagedApps } from '../packaging/verify-package';

/** A minimal ELF (x86-64 or AArch64) or Mach-O (arm64) image exporting `node_register_module_v<abi>`. */
function addon(format: 'elf-x64' | 'elf-arm64' | 'macho-arm64' | 'macho-x64', abi: number): Buffer {
  const head = Buffer.alloc(64);
  if (format === 'macho-arm64' || format === 'macho-x64') {
    head.writeUInt32LE(0xfeedfacf, 0);
    head.writeUInt32LE(format === 'macho-arm64' ? 0x0100000c : 0x01000007, 4);
  } else {
    head.writeUInt32BE(0x7f454c46, 0);
    head.writeUInt16LE(format === 'elf-x64' ? 0x3e : 0xb7, 18);
  }
  return Buffer.concat([head, Buffer.from(`\0node_register_module_v${abi}\0`, 'latin1')]);
}

describe('verifyPackagedApps', () => {
  let dist: string;
  beforeEach(() => {
    dist = mkdtempSync(join(tmpdir(), 'nmf-dist-'));
  });
  afterEach(() => rmSync(dist, { recursive: true, force: true }));

  function app(resources: string, binary: Buffer, skip: string[] = [], kernels: Buffer = binary): void {
    const unpacked = join(dist, resources, 'app.asar.unpacked');
    const files: Record<string, Buffer | string> = {
      'package.json': '{"type":"module"}',
      'out/main/nmf.worker.js': '',
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node': binary,
      'native/build/Release/nmf_kernels.node': kernels,
    };
    for (const [file, content] of Object.entries(files)) {
      if (skip.includes(file)) continue;
      mkdirSync(join(unpacked, file, '..'), { recursive: true });
      writeFileSync(join(unpacked, file), content);
    }
  }

  it('accepts apps whose add-on is built for Electron’s ABI and the folder’s CPU', () => {
    app('linux-unpacked/resources', addon('elf-x64', 150));
    app('mac-arm64/NMF Studio.app/Contents/Resources', addon('macho-arm64', 150));
    expect(findPackagedApps(dist)).toHaveLength(2);
    expect(verifyPackagedApps(dist, 150)).toEqual([]);
  });

  it('refuses an add-on compiled against Node’s headers', () => {
    app('linux-unpacked/resources', addon('elf-x64', 115));
    expect(verifyPackagedApps(dist, 150)).toEqual([
      join('linux-unpacked', 'resources', 'app.asar.unpacked') +
        ": better_sqlite3.node is built for NODE_MODULE_VERSION 115, Electron needs 150 (it was compiled against another Node's headers)",
    ]);
  });

  it('refuses an add-on for another CPU, and missing unpacked files', () => {
    app('linux-arm64-unpacked/resources', addon('elf-x64', 150), ['out/main/nmf.worker.js']);
    const where = join('linux-arm64-unpacked', 'resources', 'app.asar.unpacked');
    expect(verifyPackagedApps(dist, 150)).toEqual([
      `${where}: out/main/nmf.worker.js is missing`,
      `${where}: nmf_kernels.node is compiled for x64, the app is for arm64`,
      `${where}: better_sqlite3.node is compiled for x64, the app is for arm64`,
    ]);
  });

  it('wants the native kernels for the app’s CPU (or universal) except on Windows', () => {
    app('mac/NMF Studio.app/Contents/Resources', addon('macho-x64', 150), [], addon('macho-arm64', 150));
    app('win-unpacked/resources', addon('elf-x64', 150), ['native/build/Release/nmf_kernels.node']);
    app('linux-unpacked/resources', addon('elf-x64', 150), ['native/build/Release/nmf_kernels.node']);
    expect(verifyPackagedApps(dist, 150)).toEqual([
      `${join('linux-unpacked', 'resources', 'app.asar.unpacked')}: native/build/Release/nmf_kernels.node is missing`,
      `${join('mac', 'NMF Studio.app', 'Contents', 'Resources', 'app.asar.unpacked')}: nmf_kernels.node is compiled for arm64, the app is for x64`,
    ]);
  });

  it('refuses an empty output folder', () => {
    expect(verifyPackagedApps(dist, 150)).toEqual([`no packaged app (app.asar.unpacked) under ${dist}`]);
    expect(verifyPackagedApps(join(dist, 'missing'), 150)).toHaveLength(1);
  });
});

describe('electronAbi', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nmf-electron-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads abi_version, else asks node-abi, else gives up', () => {
    expect(electronAbi(dir, '45.4.1', () => '150')).toBe(150);
    expect(
      electronAbi(dir, '99.0.0', () => {
        throw new Error('unknown version');
      }),
    ).toBe(null);
    expect(electronAbi(dir, '45.4.1', null)).toBe(null);
    writeFileSync(join(dir, 'abi_version'), '150\n');
    expect(electronAbi(dir, '45.4.1', () => '1')).toBe(150);
  });
});
