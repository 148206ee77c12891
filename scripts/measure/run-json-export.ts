/**
 * Peak memory of a run's "JSON with provenance" text made the window's former way (one
 * JSON.stringify string, typed arrays through Array.from, then encoded as the Blob did) against
 * `jsonPieces` (pieces of ~2²⁰ characters, each encoded and dropped as the transfer does). H is
 * k × n seeded values in [0, 3), W 2000 × k. Run each way in its own process; prints one JSON line.
 *
 *   node --import tsx scripts/measure/run-json-export.ts --way whole|pieces --rank 20 --samples 200000
 */
import { jsonPieces } from '../../src/shared/export/json-stream';

const args = process.argv.slice(2);
const get = (key: string, fallback: string): string => {
  const at = args.indexOf(key);
  return at >= 0 ? args[at + 1] : fallback;
};
const way = get('--way', 'pieces');
const rank = Number(get('--rank', '20'));
const samples = Number(get('--samples', '200000'));

const H = new Float64Array(rank * samples);
let state = 1;
for (let i = 0; i < H.length; i++) {
  state = (state * 48271) % 2147483647;
  H[i] = (state / 2147483647) * 3;
}
const W = new Float64Array(2000 * rank).fill(0.5);
const document = { format: 'nmf-studio-run', W, H };
const start = process.memoryUsage().rss;
const began = process.hrtime.bigint();
const encoder = new TextEncoder();
let bytes = 0;
let outcome = 'ok';
try {
  if (way === 'whole') {
    const text = JSON.stringify(
      document,
      (_key, value: unknown) => (ArrayBuffer.isView(value) ? Array.from(value as Float64Array) : value),
      2,
    );
    bytes = encoder.encode(text).byteLength;
  } else {
    for (const piece of jsonPieces(document)) bytes += encoder.encode(piece).byteLength;
  }
} catch (error) {
  outcome = String(error);
}
const seconds = Number(process.hrtime.bigint() - began) / 1e9;
console.log(
  JSON.stringify({
    way,
    rank,
    samples,
    outcome,
    bytes,
    seconds: Number(seconds.toFixed(1)),
    peakRssAboveStartMiB: Math.round((process.resourceUsage().maxRSS * 1024 - start) / 2 ** 20),
  }),
);
