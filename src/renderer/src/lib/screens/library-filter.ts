import type { RequestOf } from '../../../../shared/api';
import { lossNames, solverNames, type RunState } from '../../../../shared/domain';

/**
 * The Library's run filter as the form holds it: one string per field (what `<input>` and `<select>`
 * bind to; '' means "any") and the sweep-fits switch. `runListRequest` turns it into the `runs:list`
 * query; `serializeRunFilter` / `parseRunFilter` keep it in the address (`#/library?loss=kl&rank=3`),
 * so a reload or a shared link shows the same runs.
 */
export interface RunFilter {
  text: string;
  /** A dataset id, as the select's value. */
  dataset: string;
  loss: string;
  solver: string;
  /** The number input binds a number, or null once cleared; '' before it is touched. */
  rank: string | number | null;
  state: string;
  tag: string;
  /** A day, yyyy-mm-dd, inclusive. */
  since: string;
  /** A day, yyyy-mm-dd, inclusive: runs until the end of it. */
  until: string;
  includeSweeps: boolean;
}

/** In the order the State select lists them. */
export const filterStates: readonly RunState[] = [
  'done',
  'running',
  'queued',
  'failed',
  'cancelled',
  'interrupted',
];

/** The text fields, in the order the address lists them. */
const textKeys = ['text', 'dataset', 'loss', 'solver', 'rank', 'state', 'tag', 'since', 'until'] as const;
type TextKey = (typeof textKeys)[number];

export function emptyRunFilter(): RunFilter {
  return {
    text: '',
    dataset: '',
    loss: '',
    solver: '',
    rank: '',
    state: '',
    tag: '',
    since: '',
    until: '',
    includeSweeps: false,
  };
}

const dayPattern = /^\d{4}-\d{2}-\d{2}$/;

/** A field's text: what a number input bound (a number, or null once cleared) read as a string. */
function fieldText(value: string | number | null): string {
  return value === null ? '' : String(value).trim();
}

function positiveInteger(value: string | number | null): number | undefined {
  const text = fieldText(value);
  const n = Number(text);
  return text !== '' && Number.isInteger(n) && n > 0 ? n : undefined;
}

function oneOf<T extends string>(value: string, allowed: readonly T[]): T | undefined {
  return (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/**
 * The `runs:list` query for a filter. A field that cannot mean anything (a rank of 0 or 2.5, a loss
 * the app does not know) filters nothing rather than matching no run, as the form never offers it.
 */
export function runListRequest(filter: RunFilter): RequestOf<'runs:list'> {
  return {
    datasetId: positiveInteger(filter.dataset),
    text: filter.text.trim() || undefined,
    loss: oneOf(filter.loss, lossNames),
    solver: oneOf(filter.solver, solverNames),
    rank: positiveInteger(filter.rank),
    tag: filter.tag.trim() || undefined,
    state: oneOf(filter.state, filterStates),
    since: dayPattern.test(filter.since) ? filter.since : undefined,
    // The day picked is inclusive: until the end of it.
    until: dayPattern.test(filter.until) ? `${filter.until}T23:59:59.999Z` : undefined,
    includeSweeps: filter.includeSweeps,
  };
}

/** The filter as a query string (no leading '?'): only the fields set, in a fixed order. */
export function serializeRunFilter(filter: RunFilter): string {
  const query = new URLSearchParams();
  for (const key of textKeys) {
    const value = key === 'text' || key === 'tag' ? filter[key] : fieldText(filter[key]);
    if (value !== '') query.set(key, value);
  }
  if (filter.includeSweeps) query.set('sweeps', '1');
  return query.toString();
}

/**
 * The filter a query string describes. Values the form could not hold (an unknown loss or state, a
 * rank that is not a positive whole number, a date that is not a day) are dropped, so a hand-edited
 * or stale link opens on what it can mean instead of an empty list.
 */
export function parseRunFilter(query: string | URLSearchParams): RunFilter {
  const params = typeof query === 'string' ? new URLSearchParams(query.replace(/^\?/, '')) : query;
  const filter = emptyRunFilter();
  const read = (key: TextKey): string => (params.get(key) ?? '').slice(0, 200);
  filter.text = read('text');
  filter.tag = read('tag').slice(0, 100);
  filter.dataset = positiveInteger(read('dataset')) !== undefined ? read('dataset').trim() : '';
  filter.rank = positiveInteger(read('rank')) !== undefined ? read('rank').trim() : '';
  filter.loss = oneOf(read('loss'), lossNames) ?? '';
  filter.solver = oneOf(read('solver'), solverNames) ?? '';
  filter.state = oneOf(read('state'), filterStates) ?? '';
  filter.since = dayPattern.test(read('since')) ? read('since') : '';
  filter.until = dayPattern.test(read('until')) ? read('until') : '';
  filter.includeSweeps = params.get('sweeps') === '1';
  return filter;
}
