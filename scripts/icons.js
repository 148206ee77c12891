#!/usr/bin/env node
// `npm run icons`: derives every icon the installers need from resources/icon.svg (the app) and
// resources/document.svg (its data files): PNGs of 16…1024 px, icon.icns (macOS) and icon.ico
// (Windows). No SVG renderer is needed: the sources are restricted to rounded <rect> elements, which
// are rasterised here with analytic anti-aliasing and encoded with node:zlib, so the result is the
// same on every machine and needs no network.
//
//   node scripts/icons.js               writes into resources/
//   node scripts/icons.js --out <dir>   writes into <dir> (the tests compare it with resources/)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** PNG sizes for Linux (resources/icons/<n>x<n>.png) and for the .ico/.icns containers. */
export const PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024];
/** Windows shows 16…256; a 256 entry is what Explorer's large views use. */
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/**
 * ICNS chunk types holding PNG data (Apple's icns format): ic07–ic10 are 128, 256, 512, 1024 px;
 * ic11–ic14 are the Retina (@2x) variants of 16, 32, 128, 256, i.e. 32, 64, 256, 512 px.
 */
export const ICNS_CHUNKS = [
  ['ic11', 32],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
];

/**
 * Reads the <rect> elements of a restricted SVG: x, y, width, height, rx, fill (#rrggbb) and
 * fill-opacity. Anything else drawable is refused, so the icon cannot silently lose a shape.
 * @param {string} svg
 */
export function parseRects(svg) {
  const viewBox = /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg);
  if (!viewBox) throw new Error('the icon SVG needs viewBox="0 0 W H"');
  const withoutComments = svg.replace(/<!--[\s\S]*?-->/g, '');
  const unsupported = /<(circle|ellipse|path|polygon|polyline|line|text|g|use|image)\b/.exec(withoutComments);
  if (unsupported)
    throw new Error(`the icon SVG may contain only <rect> elements, found <${unsupported[1]}>`);
  const rects = [];
  for (const match of withoutComments.matchAll(/<rect\b([^>]*)\/?>/g)) {
    /** @type {Record<string, string>} */
    const attrs = {};
    for (const [, name, value] of match[1].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[name] = value;
    const fill = /^#([0-9a-f]{6})$/i.exec(attrs.fill ?? '');
    if (!fill) throw new Error(`every <rect> needs fill="#rrggbb": ${match[0]}`);
    const rgb = parseInt(fill[1], 16);
    rects.push({
      x: Number(attrs.x ?? 0),
      y: Number(attrs.y ?? 0),
      width: Number(attrs.width),
      height: Number(attrs.height),
      rx: Number(attrs.rx ?? 0),
      color: [(rgb >> 16) & 255, (rgb >> 8) & 255, rgb & 255],
      opacity: Number(attrs['fill-opacity'] ?? 1),
    });
  }
  if (rects.length === 0) throw new Error('the icon SVG has no <rect>');
  return { width: Number(viewBox[1]), height: Number(viewBox[2]), rects };
}

/**
 * Rasterises the rectangles into straight (non-premultiplied) RGBA at `size` × `size`, painting in
 * document order with source-over compositing. Coverage of a pixel is taken from the signed
 * distance to the rounded rectangle at the pixel centre (clamped to ±½ px), which anti-aliases
 * edges without supersampling.
 * @param {ReturnType<typeof parseRects>} icon
 * @param {number} size
 */
export function rasterise(icon, size) {
  const scale = size / icon.width;
  // Premultiplied accumulation makes "over" a two-line formula; converted back at the end.
  const premultiplied = new Float64Array(size * size * 4);
  for (const rect of icon.rects) {
    const halfW = (rect.width * scale) / 2;
    const halfH = (rect.height * scale) / 2;
    const cx = rect.x * scale + halfW;
    const cy = rect.y * scale + halfH;
    const radius = Math.min(rect.rx * scale, halfW, halfH);
    const x0 = Math.max(0, Math.floor(cx - halfW - 1));
    const x1 = Math.min(size, Math.ceil(cx + halfW + 1));
    const y0 = Math.max(0, Math.floor(cy - halfH - 1));
    const y1 = Math.min(size, Math.ceil(cy + halfH + 1));
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        // Signed distance to a rounded box (Inigo Quilez's sdRoundBox), in pixels.
        const qx = Math.abs(px + 0.5 - cx) - (halfW - radius);
        const qy = Math.abs(py + 0.5 - cy) - (halfH - radius);
        const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0));
        const distance = outside + Math.min(Math.max(qx, qy), 0) - radius;
        const coverage = Math.min(1, Math.max(0, 0.5 - distance));
        if (coverage === 0) continue;
        const alpha = coverage * rect.opacity;
        const i = (py * size + px) * 4;
        for (let c = 0; c < 3; c++)
          premultiplied[i + c] = (rect.color[c] / 255) * alpha + premultiplied[i + c] * (1 - alpha);
        premultiplied[i + 3] = alpha + premultiplied[i + 3] * (1 - alpha);
      }
    }
  }
  const rgba = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const a = premultiplied[i * 4 + 3];
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round(Math.min(1, premultiplied[i * 4 + c] / a) * 255);
    rgba[i * 4 + 3] = Math.round(a * 255);
  }
  return rgba;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks use it (ISO 3309). @param {Uint8Array} bytes */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} type @param {Uint8Array} data */
function pngChunk(type, data) {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  Buffer.from(data).copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

/**
 * Encodes RGBA as an 8-bit truecolour-with-alpha PNG. Each scanline uses the Sub filter, which
 * suits flat-coloured shapes (runs of zero differences compress well).
 * @param {Uint8Array} rgba @param {number} size
 */
export function encodePng(rgba, size) {
  const stride = size * 4;
  const raw = Buffer.alloc((stride + 1) * size);
  for (let y = 0; y < size; y++) {
    const row = y * (stride + 1);
    raw[row] = 1;
    for (let x = 0; x < stride; x++) {
      const left = x >= 4 ? rgba[y * stride + x - 4] : 0;
      raw[row + 1 + x] = (rgba[y * stride + x] - left) & 0xff;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * An ICO whose entries are PNGs (supported since Windows Vista). A width or height of 256 is
 * written as 0, as the format requires.
 * @param {Map<number, Buffer>} pngs @param {number[]} sizes
 */
export function encodeIco(pngs, sizes) {
  const header = Buffer.alloc(6 + 16 * sizes.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // type 1 = icon
  header.writeUInt16LE(sizes.length, 4);
  let offset = header.length;
  sizes.forEach((size, i) => {
    const png = pngs.get(size);
    if (!png) throw new Error(`no ${size} px image for the .ico`);
    const entry = 6 + 16 * i;
    header[entry] = size >= 256 ? 0 : size;
    header[entry + 1] = size >= 256 ? 0 : size;
    header.writeUInt16LE(1, entry + 4); // colour planes
    header.writeUInt16LE(32, entry + 6); // bits per pixel
    header.writeUInt32LE(png.length, entry + 8);
    header.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...sizes.map((size) => /** @type {Buffer} */ (pngs.get(size)))]);
}

/** An ICNS made of PNG chunks: 'icns', total length, then (type, length, PNG) per chunk. @param {Map<number, Buffer>} pngs */
export function encodeIcns(pngs) {
  const chunks = ICNS_CHUNKS.map(([type, size]) => {
    const png = pngs.get(/** @type {number} */ (size));
    if (!png) throw new Error(`no ${size} px image for the .icns`);
    const head = Buffer.alloc(8);
    head.write(/** @type {string} */ (type), 0, 'latin1');
    head.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([head, png]);
  });
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

/** @param {string} svgPath */
function renderAll(svgPath) {
  const icon = parseRects(readFileSync(svgPath, 'utf8'));
  /** @type {Map<number, Buffer>} */
  const pngs = new Map();
  for (const size of PNG_SIZES) pngs.set(size, encodePng(rasterise(icon, size), size));
  return pngs;
}

/**
 * Writes every derived icon into `outDir` and returns the paths written (relative to it).
 * @param {string} outDir
 */
export function generateIcons(outDir) {
  /** @type {string[]} */
  const written = [];
  /** @param {string} name @param {Buffer} bytes */
  const write = (name, bytes) => {
    mkdirSync(dirname(join(outDir, name)), { recursive: true });
    writeFileSync(join(outDir, name), bytes);
    written.push(name);
  };
  const app = renderAll(join(root, 'resources', 'icon.svg'));
  for (const [size, png] of app) write(`icons/${size}x${size}.png`, png);
  write('icon.png', /** @type {Buffer} */ (app.get(512)));
  write('icon.ico', encodeIco(app, ICO_SIZES));
  write('icon.icns', encodeIcns(app));
  const document = renderAll(join(root, 'resources', 'document.svg'));
  write('document.ico', encodeIco(document, ICO_SIZES));
  write('document.icns', encodeIcns(document));
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const outFlag = process.argv.indexOf('--out');
  const outDir = outFlag > 0 ? resolve(process.argv[outFlag + 1] ?? '') : join(root, 'resources');
  const written = generateIcons(outDir);
  console.log(`icons: wrote ${written.length} files into ${outDir}`);
}
