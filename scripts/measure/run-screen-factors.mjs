/**
 * Factors for measuring the Run screen of a large run without a long fit: W (features × k) and
 * H (k × samples) as the TSV tables `nmf-studio runs import --w W.tsv --h H.tsv` reads, named after
 * a 10x-style folder written by `synth --cells N --format mtx` (features.tsv, barcodes.tsv). Values
 * are seeded (mulberry32) in [0, 4) with three decimals; H is written a line at a time.
 *
 *   node bin/nmf-studio.js synth --cells 1000000 --features 50 --rank 20 --format mtx --out D
 *   node bin/nmf-studio.js import D/matrix.mtx --db L.sqlite
 *   node scripts/measure/run-screen-factors.mjs D 20
 *   node bin/nmf-studio.js runs import --dataset 1 --w D/W.tsv --h D/H.tsv --db L.sqlite
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

const folder = process.argv[2];
const k = Number(process.argv[3] ?? 20);
if (!folder || !Number.isInteger(k) || k < 1)
  throw new Error('usage: node scripts/measure/run-screen-factors.mjs FOLDER [RANK]');
const names = (/** @type {string} */ file) =>
  readFileSync(join(folder, file), 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t')[0]);
const features = names('features.tsv');
const samples = names('barcodes.tsv');

let state = 12345;
const next = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const value = () => (next() * 4).toFixed(3);
const components = Array.from({ length: k }, (_, c) => `C${c + 1}`);

/** @param {string} file @param {(write: (text: string) => Promise<void>) => Promise<void>} body */
async function table(file, body) {
  const out = createWriteStream(join(folder, file));
  const write = (/** @type {string} */ text) =>
    new Promise((done) => (out.write(text) ? done(undefined) : out.once('drain', () => done(undefined))));
  await body(write);
  await new Promise((done) => out.end(() => done(undefined)));
}

await table('W.tsv', async (write) => {
  await write(['feature', ...components].join('\t') + '\n');
  for (const f of features) await write([f, ...components.map(value)].join('\t') + '\n');
});
await table('H.tsv', async (write) => {
  await write(['component', ...samples].join('\t') + '\n');
  for (const c of components) {
    let line = c;
    for (let j = 0; j < samples.length; j++) {
      line += '\t' + value();
      if (line.length > 1 << 20) {
        await write(line);
        line = '';
      }
    }
    await write(line + '\n');
  }
});
console.log(JSON.stringify({ features: features.length, samples: samples.length, rank: k }));
