import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { archOfOutputFolder, readBinaryArch, readNodeModuleVersion } from '../packaging/native-module';

const require = createRequire(import.meta.url);

function withSymbol(name: string): Uint8Array {
  return new Uint8Array(
    Buffer.concat([Buffer.alloc(100, 0), Buffer.from(`\0${name}\0`, 'latin1'), Buffer.alloc(50)]),
  );
}

function header(bytes: number[], length = 256): Uint8Array {
  const buffer = new Uint8Array(length);
  buffer.set(bytes);
  return buffer;
}

describe('readNodeModuleVersion', () => {
  it('reads the ABI from the registration symbol', () => {
    expect(readNodeModuleVersion(withSymbol('node_register_module_v140'))).toBe(140);
    expect(readNodeModuleVersion(withSymbol('napi_register_module_v1'))).toBe(null);
  });

  it('refuses a file that names two ABIs', () => {
    const both = Buffer.concat([
      withSymbol('node_register_module_v115'),
      withSymbol('node_register_module_v140'),
    ]);
    expect(() => readNodeModuleVersion(both)).toThrow('the add-on names several ABIs: 115, 140');
  });

  it('reads the ABI of the better-sqlite3 installed here: this Node’s', () => {
    const file = require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
    expect(existsSync(file)).toBe(true);
    expect(readNodeModuleVersion(readFileSync(file))).toBe(Number(process.versions.modules));
    const expected = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : 'unknown';
    expect(readBinaryArch(readFileSync(file))).toBe(expected);
  });
});

describe('readBinaryArch', () => {
  it('reads ELF, Mach-O, universal and PE headers', () => {
    // ELF, e_machine = 0x3e (x86-64) / 0xb7 (AArch64)
    expect(readBinaryArch(header([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...Array(10).fill(0), 0x3e, 0]))).toBe(
      'x64',
    );
    expect(readBinaryArch(header([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...Array(10).fill(0), 0xb7, 0]))).toBe(
      'arm64',
    );
    // Mach-O 64: magic cffaedfe, cputype 0x0100000c (arm64) / 0x01000007 (x86_64)
    expect(readBinaryArch(header([0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0, 0, 0x01]))).toBe('arm64');
    expect(readBinaryArch(header([0xcf, 0xfa, 0xed, 0xfe, 0x07, 0, 0, 0x01]))).toBe('x64');
    expect(readBinaryArch(header([0xca, 0xfe, 0xba, 0xbe]))).toBe('universal');
    // PE: MZ, e_lfanew = 0x80, "PE\0\0", machine 0x8664 / 0xaa64
    const pe = (machine: number) => {
      const bytes = header([0x4d, 0x5a]);
      new DataView(bytes.buffer).setUint32(0x3c, 0x80, true);
      bytes.set([0x50, 0x45, 0, 0, machine & 0xff, machine >> 8], 0x80);
      return bytes;
    };
    expect(readBinaryArch(pe(0x8664))).toBe('x64');
    expect(readBinaryArch(pe(0xaa64))).toBe('arm64');
    expect(readBinaryArch(header([1, 2, 3, 4]))).toBe('unknown');
    expect(readBinaryArch(new Uint8Array(4))).toBe('unknown');
  });
});

describe('archOfOutputFolder', () => {
  it('names the CPU of electron-builder’s output folders', () => {
    expect(archOfOutputFolder('linux-unpacked')).toBe('x64');
    expect(archOfOutputFolder('linux-arm64-unpacked')).toBe('arm64');
    expect(archOfOutputFolder('win-unpacked')).toBe('x64');
    expect(archOfOutputFolder('win-ia32-unpacked')).toBe('ia32');
    expect(archOfOutputFolder('mac')).toBe('x64');
    expect(archOfOutputFolder('mac-arm64')).toBe('arm64');
    expect(archOfOutputFolder('mac-universal')).toBe('universal');
    expect(archOfOutputFolder('something-else')).toBe('unknown');
  });
});
