import { logGamma } from '../linalg/random';

/**
 * Over-representation of gene sets among a component's markers, offline: the user's own GMT file
 * (MSigDB, GO, their own lists), the hypergeometric upper tail and Benjamini–Hochberg q-values, as
 * Enrichr, clusterProfiler's `enricher` and GSEA's "investigate gene sets" compute them.
 */

export interface GeneSet {
  name: string;
  description: string;
  genes: string[];
}

/** A refused GMT file, with where the problem is. */
export class GmtError extends Error {
  constructor(
    message: string,
    public readonly location: { file: string; line?: number; column?: number; value?: string },
  ) {
    super(message);
    this.name = 'GmtError';
  }
}

/**
 * Reads a GMT file (Broad's Gene Matrix Transposed): one set per line, tab-separated: name,
 * description (often a URL or "na"), then the genes. Blank lines and lines starting with `#` are
 * skipped. Refused: a line without genes, and a set name given twice.
 */
export function parseGmt(text: string, fileName: string): GeneSet[] {
  const sets: GeneSet[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, l) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const fields = line.split('\t');
    const name = fields[0].trim();
    const genes = fields
      .slice(2)
      .map((g) => g.trim())
      .filter((g) => g !== '');
    if (name === '' || genes.length === 0) {
      throw new GmtError(
        `${fileName} line ${l + 1}: a GMT line needs a set name, a description and at least one gene, separated by tabs`,
        { file: fileName, line: l + 1, column: fields.length + 1, value: line.slice(0, 80) },
      );
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new GmtError(`${fileName} line ${l + 1}: set "${name}" is also on line ${earlier}`, {
        file: fileName,
        line: l + 1,
        column: 1,
        value: name,
      });
    }
    seen.set(name, l + 1);
    sets.push({ name, description: (fields[1] ?? '').trim(), genes: [...new Set(genes)] });
  });
  if (sets.length === 0) throw new GmtError(`${fileName} holds no gene sets`, { file: fileName });
  return sets;
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * P(X ≥ x) for X hypergeometric: `draws` items drawn without replacement from a population of
 * `population` items of which `successes` are marked (scipy's `hypergeom.sf(x − 1, population,
 * successes, draws)`). Summed term by term in log space from x upward (log-sum-exp), never as
 * 1 − CDF, so tails far below 1e-16 keep their relative precision.
 */
export function hypergeometricUpperTail(
  x: number,
  population: number,
  successes: number,
  draws: number,
): number {
  for (const [name, v] of Object.entries({ x, population, successes, draws })) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  if (successes > population || draws > population)
    throw new RangeError(
      `successes (${successes}) and draws (${draws}) cannot exceed the population (${population})`,
    );
  const low = Math.max(0, draws - (population - successes));
  const high = Math.min(successes, draws);
  if (x <= low) return 1;
  if (x > high) return 0;
  const logTotal = logChoose(population, draws);
  const terms: number[] = [];
  for (let i = x; i <= high; i++) {
    terms.push(logChoose(successes, i) + logChoose(population - successes, draws - i) - logTotal);
  }
  const top = Math.max(...terms);
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - top);
  return Math.min(1, Math.exp(top + Math.log(sum)));
}

/**
 * Benjamini–Hochberg (1995) adjusted p-values (R's `p.adjust(p, "BH")`): q₍ᵢ₎ = min over j ≥ i of
 * m·p₍ⱼ₎/j, capped at 1, in the input's order.
 *
 * @param tests m, the number of hypotheses tested (at least p.length: sets tested but not
 *   reported, such as those with no overlap, still count)
 */
export function benjaminiHochberg(p: readonly number[], tests = p.length): number[] {
  if (tests < p.length) throw new RangeError(`${tests} tests for ${p.length} p-values`);
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a] || b - a);
  const q = new Array<number>(p.length);
  let running = 1;
  order.forEach((i, r) => {
    const rank = p.length - r;
    running = Math.min(running, (tests * p[i]) / rank);
    q[i] = Math.min(1, running);
  });
  return q;
}

export interface SetEnrichment {
  name: string;
  description: string;
  /** Markers in the set. */
  overlap: number;
  /** Genes of the set among the dataset's features (the set as tested). */
  size: number;
  p: number;
  q: number;
  /** The overlapping markers, by the dataset's names, in marker order. */
  genes: string[];
}

export interface EnrichmentOptions {
  /** Sets with fewer genes among the features are not tested (default 1). */
  minSize?: number;
}

/**
 * Enrichment of one marker list: for each set, the hypergeometric upper tail of the overlap, with
 * the dataset's features as the universe (a gene that could not have been a marker does not count)
 * and BH q-values over the sets tested. Names match ignoring case (MSigDB writes symbols in upper
 * case). Sets without overlap are tested but not returned. Sorted by q, then p, then name.
 *
 * @param markers the component's marker features (names)
 * @param universe every feature of the dataset (names)
 */
export function enrichMarkers(
  markers: readonly string[],
  universe: readonly string[],
  sets: readonly GeneSet[],
  options: EnrichmentOptions = {},
): { tested: number; sets: SetEnrichment[] } {
  const minSize = options.minSize ?? 1;
  const universeKey = new Map<string, string>();
  for (const name of universe) {
    const key = name.toUpperCase();
    if (!universeKey.has(key)) universeKey.set(key, name);
  }
  const markerKeys = [...new Set(markers.map((m) => m.toUpperCase()))].filter((k) => universeKey.has(k));
  const population = universeKey.size;
  const draws = markerKeys.length;
  const found: Array<Omit<SetEnrichment, 'q'>> = [];
  let tested = 0;
  for (const set of sets) {
    const members = new Set(set.genes.map((g) => g.toUpperCase()).filter((g) => universeKey.has(g)));
    if (members.size < minSize || members.size === 0) continue;
    tested++;
    const overlapKeys = markerKeys.filter((k) => members.has(k));
    if (overlapKeys.length === 0) continue;
    found.push({
      name: set.name,
      description: set.description,
      overlap: overlapKeys.length,
      size: members.size,
      p: hypergeometricUpperTail(overlapKeys.length, population, members.size, draws),
      genes: overlapKeys.map((k) => universeKey.get(k)!),
    });
  }
  const q = benjaminiHochberg(
    found.map((f) => f.p),
    tested,
  );
  const out = found.map((f, i) => ({ ...f, q: q[i] }));
  out.sort((a, b) => a.q - b.q || a.p - b.p || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tested, sets: out };
}
