/**
 * Facts read from a compiled Node add-on (a `.node` file) without loading it, so a packaged app
 * can be checked on the machine that built it: which Node ABI it was compiled for and for which
 * CPU. Works on ELF (Linux), Mach-O (macOS, including universal files) and PE (Windows).
 */

/**
 * The NODE_MODULE_VERSION an add-on was built for. Add-ons built against Node's headers
 * (`NODE_MODULE_INIT`, as better-sqlite3 is) export a registration symbol named
 * `node_register_module_v<ABI>`; its name is in the file's symbol or export table in every binary
 * format. Returns null when the file has none (e.g. an N-API add-on, which is ABI-independent).
 */
export function readNodeModuleVersion(bytes: Uint8Array): number | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const versions = new Set<number>();
  for (const match of text.matchAll(/node_register_module_v(\d{2,4})/g)) versions.add(Number(match[1]));
  if (versions.size > 1) throw new Error(`the add-on names several ABIs: ${[...versions].join(', ')}`);
  const [version] = versions;
  return version ?? null;
}

export type BinaryArch = 'x64' | 'arm64' | 'ia32' | 'universal' | 'unknown';

/** The CPU a binary is compiled for, from its header. */
export function readBinaryArch(bytes: Uint8Array): BinaryArch {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 64) return 'unknown';
  // ELF: "\x7fELF", e_machine at offset 18 (little-endian on the platforms Electron supports).
  if (view.getUint32(0, false) === 0x7f454c46) {
    const machine = view.getUint16(18, true);
    return machine === 0x3e ? 'x64' : machine === 0xb7 ? 'arm64' : machine === 0x03 ? 'ia32' : 'unknown';
  }
  // Mach-O 64-bit (little-endian magic 0xfeedfacf), cputype right after the magic.
  if (view.getUint32(0, true) === 0xfeedfacf) {
    const cpu = view.getUint32(4, true);
    return cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : 'unknown';
  }
  // Mach-O universal ("fat") file: big-endian 0xcafebabe.
  if (view.getUint32(0, false) === 0xcafebabe) return 'universal';
  // PE: "MZ", the PE header offset at 0x3c, then "PE\0\0" and the machine field.
  if (view.getUint16(0, false) === 0x4d5a) {
    const pe = view.getUint32(0x3c, true);
    if (pe + 6 > bytes.length || view.getUint32(pe, false) !== 0x50450000) return 'unknown';
    const machine = view.getUint16(pe + 4, true);
    return machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : machine === 0x14c ? 'ia32' : 'unknown';
  }
  return 'unknown';
}

/**
 * The CPU an electron-builder output folder is for, from its name: `linux-unpacked`,
 * `linux-arm64-unpacked`, `win-unpacked`, `win-ia32-unpacked`, `mac`, `mac-arm64`,
 * `mac-universal`. The unsuffixed folders are x64.
 */
export function archOfOutputFolder(name: string): BinaryArch {
  if (/(^|-)arm64(-|$)/.test(name)) return 'arm64';
  if (/(^|-)ia32(-|$)/.test(name)) return 'ia32';
  if (/(^|-)universal(-|$)/.test(name)) return 'universal';
  if (/^(linux|win)-unpacked$|^mac$/.test(name)) return 'x64';
  return 'unknown';
}
