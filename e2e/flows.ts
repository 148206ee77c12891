import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/** Screenshots of every screen the flows visit, kept as test artifacts. */
export const ARTIFACTS = join(process.cwd(), 'e2e-artifacts');

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Fails with every serious or critical axe-core violation on the page, named by `screen`. */
export async function axe(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
  expect(bad, bad.join('\n')).toEqual([]);
}

const fixture = (name: string): string => join(process.cwd(), 'e2e', 'fixtures', name);

/** Goes to a screen through the hash router, as a link in the app does (without waiting for it). */
export async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => (window.location.hash = h), hash);
}

/** Goes to a screen through the hash router and waits for its heading. */
export async function open(page: Page, hash: string, heading: RegExp): Promise<void> {
  await go(page, hash);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

/**
 * Collects the message of every uncaught error in the page into `errors` (a new list when absent),
 * for a test to expect none at its end.
 */
export function collectPageErrors(page: Page, errors: string[] = []): string[] {
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/** What the Synthesize screen's form is filled with; without `seed` the form's own stays. */
export interface SynthesizeFields {
  features: number;
  samples: number;
  rank: number;
  seed?: number;
  name: string;
}

/** Fills the form of the Synthesize screen, which is open. */
export async function fillSynthesize(page: Page, fields: SynthesizeFields): Promise<void> {
  await page.getByLabel('Features').fill(String(fields.features));
  await page.getByLabel('Samples').fill(String(fields.samples));
  await page.getByLabel('Modules (rank)').fill(String(fields.rank));
  if (fields.seed !== undefined) await page.getByLabel('Seed').fill(String(fields.seed));
  await page.getByLabel('Name').fill(fields.name);
}

/** Generates the filled-in planted data set, waits for its Dataset screen and returns its id. */
export async function generate(page: Page, name: string): Promise<number> {
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  return Number(/datasets\/(\d+)/.exec(page.url())?.[1]);
}

/** A planted data set made on the Synthesize screen: goes there, fills the form, generates; its id. */
export async function synthesize(page: Page, fields: SynthesizeFields): Promise<number> {
  await go(page, '#/synthesize');
  await fillSynthesize(page, fields);
  return generate(page, fields.name);
}

async function startRun(
  page: Page,
  datasetId: string,
  rank: number,
  maxIter: number,
  tol: number,
): Promise<number> {
  await open(page, `#/new-run?dataset=${datasetId}`, /New run/);
  await page.locator('#run-dataset').selectOption(datasetId);
  await page.locator('#run-rank').fill(String(rank));
  await page.locator('#run-maxIter').fill(String(maxIter));
  await page.locator('#run-tol').fill(String(tol));
  await expect(page.getByText(/Estimated/)).toBeVisible();
  await page.getByRole('button', { name: 'Start run' }).click();
  await page.waitForURL(/#\/runs\/\d+/);
  return Number(/#\/runs\/(\d+)/.exec(page.url())![1]);
}

/**
 * The foundation walk: a bad file is refused with its location and adds nothing; a good file is
 * imported; two fits start; progress is seen moving; one is cancelled; the other completes; after a
 * restart on the same library both are listed with the right states and the finished one's
 * heatmaps are drawn.
 */
export async function foundationFlow(
  page: Page,
  options: { screenshotPrefix: string; restart: () => Promise<Page> },
): Promise<void> {
  const prefix = options.screenshotPrefix;

  // A bad file: refused, with file, line and column, and the library stays empty.
  await open(page, '#/import', /Import a matrix/);
  await page.getByTestId('import-file').setInputFiles(fixture('negative.tsv'));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const refusal = page.getByRole('alert');
  await expect(refusal).toContainText('negative.tsv: line 3, column 3 (sample "s2"): "-5" is negative');
  await expect(refusal).toContainText('nothing was added');
  await shot(page, `${prefix}-import-refused`);
  await open(page, '#/library', /Library/);
  await expect(page.getByText(/No datasets yet/)).toBeVisible();

  // A good file: previewed, imported.
  await open(page, '#/import', /Import a matrix/);
  await page.getByTestId('import-file').setInputFiles(fixture('modules_small.tsv'));
  await expect(page.getByRole('heading', { name: 'Preview' })).toBeVisible();
  await expect(page.getByText('g001').first()).toBeVisible();
  await shot(page, `${prefix}-import-preview`);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.waitForURL(/#\/datasets\/\d+/);
  const datasetId = /#\/datasets\/(\d+)/.exec(page.url())![1];
  await expect(page.getByText(/100 × 60|100 features/).first()).toBeVisible();
  await shot(page, `${prefix}-dataset`);

  // Two fits: a long one (to be cancelled) and a short one.
  const slow = await startRun(page, datasetId, 5, 1_000_000, 0);
  const quick = await startRun(page, datasetId, 5, 400, 1e-4);

  // Progress moves on the Jobs screen.
  await open(page, '#/jobs', /Jobs/);
  const card = page.getByTestId('job-card').filter({ has: page.getByRole('link', { name: `Run #${slow}` }) });
  const iteration = async (): Promise<number> => {
    const text = (await card.getByText(/Iteration \d+ of/).textContent()) ?? '';
    return Number(/Iteration (\d+)/.exec(text)?.[1] ?? NaN);
  };
  await expect.poll(iteration, { timeout: 60_000 }).toBeGreaterThan(0);
  const first = await iteration();
  await expect.poll(iteration, { timeout: 60_000 }).toBeGreaterThan(first);
  await shot(page, `${prefix}-jobs`);
  await card.getByRole('button', { name: 'Cancel run' }).click();

  // The short one completes; the long one is cancelled.
  await open(page, `#/runs/${quick}`, new RegExp(`Run #${quick}`));
  await expect(page.locator('.state').first()).toHaveText('done', { timeout: 120_000 });
  await open(page, `#/runs/${slow}`, new RegExp(`Run #${slow}`));
  await expect(page.locator('.state').first()).toHaveText('cancelled', { timeout: 60_000 });

  // Restart on the same library: both runs are there with their states, the heatmaps drawn.
  const after = await options.restart();
  await open(after, '#/library', /Library/);
  const runs = after.getByTestId('runs-table');
  await expect(runs.getByRole('row').filter({ hasText: `#${quick}` })).toContainText('done');
  await expect(runs.getByRole('row').filter({ hasText: `#${slow}` })).toContainText('cancelled');
  await shot(after, `${prefix}-library`);
  await open(after, `#/runs/${quick}`, new RegExp(`Run #${quick}`));
  await expect(after.getByRole('heading', { name: /Loadings W and activations H/ })).toBeVisible();
  const canvases = after.locator('canvas');
  await expect.poll(() => canvases.count()).toBeGreaterThanOrEqual(2);
  // The heatmaps have been painted: some pixel of the first canvas is not blank.
  const painted = await after.evaluate(() => {
    for (const canvas of Array.from(document.querySelectorAll('canvas'))) {
      const ctx = canvas.getContext('2d');
      if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
      const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
    }
    return false;
  });
  expect(painted).toBe(true);
  await shot(after, `${prefix}-run`);
}
