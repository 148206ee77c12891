/**
 * Time and size of the calls the Run screen and the projection panel make for one stored run or
 * projection, through the services' own dispatch (as the IPC and HTTP transports call them): each
 * call twice in a row on the library opened read-only (or, with `--writable`, as the app opens it:
 * migrated when older, and what the calls store kept — migrations 0170 and 0180), its answer encoded as the
 * browser mode's frame (`encodeFrame`) for its size. Prints one JSON line per call.
 *
 *   node --import tsx scripts/measure/view-calls.ts [--writable] LIBRARY.sqlite runs:get '{"id":1}' [runs:classes '{"id":1}' …]
 *
 * The libraries of 10⁶ samples it was run on (a summarised run, a sweep and its annotations) and
 * how to build them: docs/architecture.md, "Above the engine at 10⁵–10⁶ samples". A kept answer
 * (view-cache.ts) shows as a fast second call.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFrame } from '../../src/shared/api/codec';
import { createServices } from '../../src/main/services';
import { dispatch } from '../../src/main/services/dispatch';

const args = process.argv.slice(2);
const writable = args[0] === '--writable';
const [library, ...pairs] = writable ? args.slice(1) : args;
if (!library || pairs.length === 0 || pairs.length % 2 !== 0)
  throw new Error('usage: view-calls.ts [--writable] LIBRARY CHANNEL JSON [CHANNEL JSON …]');
const tempDir = mkdtempSync(join(tmpdir(), 'nmf-view-calls-'));
const services = createServices({
  libraryPath: library,
  workerPath: join(import.meta.dirname, '..', '..', 'src', 'main', 'workers', 'nmf.worker.ts'),
  mode: 'cli',
  threads: 1,
  tempDir,
  readOnly: !writable,
});
try {
  for (let p = 0; p < pairs.length; p += 2) {
    const channel = pairs[p];
    const request = JSON.parse(pairs[p + 1]) as unknown;
    const seconds: number[] = [];
    let bytes = 0;
    let sha256 = '';
    for (let round = 0; round < 2; round++) {
      const began = process.hrtime.bigint();
      const result = await dispatch(services.handlers, channel, request);
      seconds.push(Number(process.hrtime.bigint() - began) / 1e9);
      if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
      const frame = encodeFrame(result.value);
      bytes = frame.byteLength;
      sha256 = createHash('sha256').update(frame).digest('hex');
    }
    console.log(
      JSON.stringify({
        channel,
        request,
        firstSeconds: +seconds[0].toFixed(2),
        secondSeconds: +seconds[1].toFixed(2),
        frameMB: +(bytes / 1e6).toFixed(2),
        frameBytes: bytes,
        frameSha256: sha256,
      }),
    );
  }
} finally {
  await services.close();
  rmSync(tempDir, { recursive: true, force: true });
}
