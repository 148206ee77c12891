import { describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import { channelNames, requestSchemas, type Channel } from '../../../shared/api';
import type { LibraryStats } from '../../../shared/domain';
import { dispatch } from '../dispatch';
import { call, finishedRunOfShape, servicesInTempFolders } from './harness';

/**
 * The renderer is untrusted: every channel, through `dispatch` as both transports call it, is sent
 * hostile payloads — the wrong kind of value for the whole request and for each of its fields
 * (and each field of a nested object such as `params` or `file`): NaN, ±Infinity, ids that are
 * negative, zero, fractional, -0 or beyond 2⁵³, a string of 10⁶ characters, 10⁴ levels of
 * nesting, arrays where objects go, and `__proto__` / `constructor` keys as JSON.parse leaves them.
 * Each must be refused as `invalid_request` with one message naming the channel and the field
 * (never a TypeError or a stack from inside a handler), the process must go on answering, and the
 * library must be as it was (datasets, runs, sweeps, projections, consensus runs counted) with
 * Object.prototype untouched.
 */
const start = servicesInTempFolders('nmf-hostile-payloads-');

/** 10⁴ levels of `{ a: … }`: deeper than any schema, shallow enough to build. */
function deeplyNested(levels: number): unknown {
  let value: unknown = 1;
  for (let k = 0; k < levels; k++) value = { a: value };
  return value;
}

const HUGE_STRING = 'x'.repeat(1_000_000);
/** `__proto__` and `constructor` as own keys, as a JSON body or a structured clone delivers them. */
const POLLUTING = JSON.parse(
  '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
);

/** Values no field of any channel takes, whatever its type. */
const HOSTILE_VALUES: Array<[string, unknown]> = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['a 10⁶-character string', HUGE_STRING],
  ['10⁴ levels of nesting', deeplyNested(10_000)],
  ['an array of arrays', [[[]]]],
  ['__proto__ and constructor keys', POLLUTING],
];

/** Values no id takes (ids are whole numbers from 1 to 2⁵³ − 1). */
const HOSTILE_IDS: Array<[string, unknown]> = [
  ['-1', -1],
  ['0', 0],
  ['-0', -0],
  ['1.5', 1.5],
  ['2⁵³', 2 ** 53],
  ['1e300', 1e300],
  ['"1"', '1'],
];

/** Whole requests no channel takes (null and undefined stand for `{}`, see dispatch). */
const HOSTILE_REQUESTS: Array<[string, unknown]> = [
  ['an array', [{}]],
  ['a number', NaN],
  ['a string', HUGE_STRING],
  ['a field no channel has', { unexpected: 1 }],
  ['__proto__ and constructor keys', POLLUTING],
  ['10⁴ levels of nesting', { a: deeplyNested(10_000) }],
];

/** The fields of an object schema (zod 4 keeps them in `shape`), unwrapping optional and default. */
function fieldsOf(schema: ZodType): Record<string, ZodType> {
  let inner = schema as unknown as { shape?: Record<string, ZodType>; def?: { innerType?: ZodType } };
  while (inner.shape === undefined && inner.def?.innerType !== undefined)
    inner = inner.def.innerType as unknown as typeof inner;
  return inner.shape ?? {};
}

/** Fields that hold library ids, whose hostile values include HOSTILE_IDS. */
const ID_FIELDS = new Set(['id', 'datasetId', 'runId']);

/** Every case of a channel: [what, payload, the field its message must name (null: the request)]. */
function casesOf(channel: Channel): Array<[string, unknown, string | null]> {
  const cases: Array<[string, unknown, string | null]> = HOSTILE_REQUESTS.map(([what, payload]) => [
    what,
    payload,
    null,
  ]);
  const fields = fieldsOf(requestSchemas[channel] as unknown as ZodType);
  for (const [field, schema] of Object.entries(fields)) {
    const values = ID_FIELDS.has(field) ? [...HOSTILE_IDS, ...HOSTILE_VALUES] : HOSTILE_VALUES;
    for (const [what, value] of values) cases.push([`${field} = ${what}`, { [field]: value }, field]);
    // One level down (params, file): each nested field hostile in turn.
    for (const nested of Object.keys(fieldsOf(schema))) {
      for (const [what, value] of HOSTILE_VALUES)
        cases.push([`${field}.${nested} = ${what}`, { [field]: { [nested]: value } }, `${field}.${nested}`]);
    }
  }
  return cases;
}

/** What the library holds, counted through the channels the app lists it with. */
async function counts(services: ReturnType<typeof start>): Promise<string> {
  const stats = await call<LibraryStats>(services, 'library:stats', {});
  const projections = await call<unknown[]>(services, 'projections:list', {});
  const consensus = await call<unknown[]>(services, 'consensus:list', {});
  return JSON.stringify({
    datasets: stats.datasets,
    runs: stats.runs,
    sweepRuns: stats.sweepRuns,
    sweeps: stats.sweeps,
    projections: projections.length,
    consensus: consensus.length,
  });
}

describe('hostile payloads at every channel', () => {
  it('refuses each at the boundary, naming the channel and the field; the library stays as it was', async () => {
    const services = start();
    // Something to lose: a dataset and a finished run (ids 1).
    await finishedRunOfShape(services, { features: 12, samples: 8, rank: 2 }, 5);
    const before = await counts(services);
    // Every departure is collected, so that one run lists them all.
    const departures: string[] = [];
    let cases = 0;
    for (const channel of channelNames) {
      for (const [what, payload, field] of casesOf(channel)) {
        cases++;
        const result = await dispatch(services.handlers, channel, payload);
        const label = `${channel} with ${what}`;
        if (result.ok) {
          departures.push(`${label}: accepted`);
          continue;
        }
        const { code, message } = result.error;
        const shown = message.slice(0, 200);
        if (code !== 'invalid_request') departures.push(`${label}: ${code}: ${shown}`);
        else if (!message.startsWith(`${channel}: `)) departures.push(`${label}: names no channel: ${shown}`);
        else if (field !== null && !new RegExp(`(^|[ ;])${field}[.:]`).test(message))
          departures.push(`${label}: names no ${field}: ${shown}`);
        // One line, not a stack or a TypeError from inside, and no huge value quoted back.
        else if (/\n|TypeError|at .*\.ts:\d+/.test(message) || message.length > 2000)
          departures.push(`${label}: ${message.length} characters: ${shown}`);
      }
    }
    expect(departures).toEqual([]);
    expect(cases).toBeGreaterThan(channelNames.length * HOSTILE_REQUESTS.length);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await counts(services)).toBe(before);
    // Still answering.
    expect((await call<{ version: string }>(services, 'app:info', {})).version).toBeTruthy();
  }, 120_000);
});
