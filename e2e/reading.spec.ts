import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, type Download, type Page } from '@playwright/test';
import { axe, collectPageErrors, go, shot } from './flows';
import { serverForThisFile } from './server';

/**
 * Reading components as R NMF users do, on Golub's leukemia data (5000 genes × 38 samples) with its
 * known classes: import with the sample annotations → small sweep → consensus map with class
 * tracks → the k = 3 run's coefficient map with sample names and tracks → markers → enrichment in
 * a GMT file made here → figure exports that parse as SVG with every label inside the viewBox.
 * Screenshots go to e2e-artifacts/; axe checks the new screens.
 */

const golub = (name: string): string => join(process.cwd(), 'e2e', 'fixtures', 'golub', name);

const server = serverForThisFile({ threads: 2 });

/**
 * Parses an exported SVG in the page and measures every text element against the figure's own
 * box (getBoundingClientRect includes rotations). Returns the labels found and any outside.
 */
async function checkSvg(page: Page, download: Download): Promise<{ texts: string[]; outside: string[] }> {
  const svg = readFileSync(await download.path(), 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  return page.evaluate((text) => {
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    if (doc.querySelector('parsererror')) throw new Error('the SVG does not parse');
    const holder = document.createElement('div');
    holder.style.position = 'absolute';
    holder.style.left = '0';
    holder.style.top = '0';
    document.body.appendChild(holder);
    const svgElement = document.importNode(doc.documentElement, true) as unknown as SVGSVGElement;
    holder.appendChild(svgElement);
    const box = svgElement.getBoundingClientRect();
    const texts: string[] = [];
    const outside: string[] = [];
    for (const t of Array.from(svgElement.querySelectorAll('text'))) {
      const r = t.getBoundingClientRect();
      texts.push(t.textContent ?? '');
      if (
        r.left < box.left - 0.5 ||
        r.right > box.right + 0.5 ||
        r.top < box.top - 0.5 ||
        r.bottom > box.bottom + 0.5
      )
        outside.push(
          `${t.textContent} (${r.left.toFixed(0)}..${r.right.toFixed(0)} × ${r.top.toFixed(0)}..${r.bottom.toFixed(0)} in ${box.width.toFixed(0)} × ${box.height.toFixed(0)})`,
        );
    }
    holder.remove();
    return { texts, outside };
  }, svg);
}

test('Golub with its classes: sweep, consensus map, coefficient map, markers, enrichment, figures', async ({
  page,
}) => {
  test.setTimeout(600_000);
  const pageErrors = collectPageErrors(page);
  await page.goto(server().url);
  await expect(page.getByRole('heading', { level: 1, name: 'Library' })).toBeVisible();

  // Import Golub.
  await go(page, '#/import');
  await page.getByTestId('import-file').setInputFiles(golub('golub.tsv.gz'));
  await expect(page.getByRole('heading', { name: 'Preview' })).toBeVisible();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.waitForURL(/#\/datasets\/\d+/);
  const datasetId = Number(/datasets\/(\d+)/.exec(page.url())![1]);

  // A table whose names do not match is refused, naming them; the real one is accepted.
  const annotations = page.getByRole('form', { name: 'Import annotations' });
  await annotations.getByLabel('with the table').setInputFiles({
    name: 'wrong.tsv',
    mimeType: 'text/tab-separated-values',
    buffer: Buffer.from('sample\tclass\nALL_19769_B-cell\tALL\nnot_a_sample\tAML\n'),
  });
  await annotations.getByRole('button', { name: 'Import annotations' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: 'do not match' });
  await expect(refusal).toContainText('"not_a_sample"');
  await expect(refusal).toContainText('37 sample(s) of the dataset are missing from the file');
  await annotations.getByLabel('with the table').setInputFiles(golub('golub.samples.tsv'));
  await annotations.getByRole('button', { name: 'Import annotations' }).click();
  const table = page.getByTestId('annotation-table');
  await expect(table).toContainText('golub.samples.tsv');
  await expect(table).toContainText('subtype');
  await expect(table).toContainText('ALL-B-cell');
  await page.getByRole('heading', { name: 'Annotations' }).scrollIntoViewIfNeeded();
  await shot(page, 'reading-01-dataset-annotations');
  await axe(page, 'dataset with annotations');

  // A small sweep. Cross-validation decides the rank: without it, warm-started replicates agree at
  // every k on these data and the sweep rightly recommends none.
  await go(page, `#/new-sweep?dataset=${datasetId}`);
  await page.getByLabel('From rank').fill('2');
  await page.getByLabel('To rank').fill('4');
  await page.getByLabel('Replicates per k').fill('6');
  await page.getByLabel('CV folds').fill('3');
  await page.getByLabel('Max iterations').fill('300');
  await page.locator('#sweep-baseline').uncheck();
  await page.getByRole('button', { name: 'Start sweep' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Choosing k: sweep #\d+/ })).toBeVisible();
  // While it runs: elapsed time and time left.
  await expect(page.getByTestId('sweep-timing')).toContainText(/elapsed [\s\S]*(left|estimated once)/, {
    timeout: 60_000,
  });
  await shot(page, 'reading-02a-sweep-running');
  await expect(page.getByTestId('recommended-rank')).toBeVisible({ timeout: 400_000 });

  // Against the classes, and the consensus map at k = 3 with its tracks.
  const classes = page.getByTestId('sweep-classes');
  await expect(classes).toContainText('subtype: ARI');
  await page.getByLabel('Rank', { exact: true }).selectOption('3');
  const consensusFigure = page.locator('figure.figure-view').filter({ hasText: 'Consensus matrix, k = 3' });
  await expect(consensusFigure.locator('svg')).toBeVisible();
  await expect(consensusFigure.locator('svg')).toContainText('subtype');
  await expect(consensusFigure.locator('svg')).toContainText('AML_12');
  await expect(page.getByTestId('contingency').first()).toContainText('cluster 3');
  await consensusFigure.scrollIntoViewIfNeeded();
  await shot(page, 'reading-02-sweep-consensus');
  await axe(page, 'sweep with consensus map');
  const k3Ari = await classes
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: '3', exact: true }) })
    .textContent();
  console.log(`Golub, k = 3 consensus clusters vs classes: ${k3Ari}`);

  const [consensusSvg] = await Promise.all([
    page.waitForEvent('download'),
    consensusFigure.getByRole('button', { name: /as SVG/ }).click(),
  ]);
  const consensusCheck = await checkSvg(page, consensusSvg);
  expect(consensusCheck.outside, consensusCheck.outside.join('\n')).toEqual([]);
  expect(consensusCheck.texts).toEqual(
    expect.arrayContaining(['ALL_19769_B-cell', 'subtype', 'AML', 'consensus']),
  );
  const [consensusPng] = await Promise.all([
    page.waitForEvent('download'),
    consensusFigure.getByRole('button', { name: /as PNG/ }).click(),
  ]);
  const png = readFileSync(await consensusPng.path());
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  // 300 dpi: several times the on-screen width.
  expect(png.readUInt32BE(16)).toBeGreaterThan(1500);

  // The k = 3 run: classes, coefficient map with sample names and tracks.
  const k3Link = page
    .getByTestId('sweep-table')
    .getByRole('row')
    .filter({ has: page.getByRole('cell', { name: '3', exact: true }) })
    .getByRole('link');
  await k3Link.click();
  await expect(page.getByRole('heading', { level: 1, name: /k = 3/ })).toBeVisible();
  await expect(page.getByTestId('run-classes')).toContainText('subtype');
  const coefFigure = page.locator('figure.figure-view').filter({ hasText: 'Coefficients H' });
  await expect(coefFigure.locator('svg')).toContainText('ALL_19769_B-cell');
  await expect(coefFigure.locator('svg')).toContainText('consensus cluster');
  await page.getByRole('heading', { name: 'Against known classes' }).scrollIntoViewIfNeeded();
  await shot(page, 'reading-03-run-classes-coefmap');
  const [coefSvg] = await Promise.all([
    page.waitForEvent('download'),
    coefFigure.getByRole('button', { name: /as SVG/ }).click(),
  ]);
  const coefCheck = await checkSvg(page, coefSvg);
  expect(coefCheck.outside, coefCheck.outside.join('\n')).toEqual([]);
  expect(coefCheck.texts).toEqual(expect.arrayContaining(['ALL_19769_B-cell', 'C1', 'C3', 'class']));

  // Markers: three components, Kim–Park scores; the basis map of the markers.
  const markers = page.getByTestId('markers');
  await expect(markers.locator('.card')).toHaveCount(3);
  const firstMarkers = (
    await markers.locator('.card').first().locator('li > span:first-child').allTextContents()
  ).map((t) => t.replace(' ✓', '').trim());
  expect(firstMarkers.length).toBeGreaterThanOrEqual(10);
  await expect(
    page.locator('figure.figure-view').filter({ hasText: 'Basis W of' }).locator('svg'),
  ).toBeVisible();
  await page.getByRole('heading', { name: 'Marker features' }).scrollIntoViewIfNeeded();
  await shot(page, 'reading-04-run-markers');
  const [gmtExport] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Gene lists as GMT' }).click(),
  ]);
  const gmtLines = readFileSync(await gmtExport.path(), 'utf8')
    .trim()
    .split('\n');
  expect(gmtLines).toHaveLength(3);
  expect(gmtLines[0].split('\t').slice(2, 5)).toEqual(firstMarkers.slice(0, 3));

  // Enrichment in a small GMT: a set holding half of c1's markers ranks first for c1.
  const gmt = [
    `C1_PROGRAM\tmade in the test\t${firstMarkers.slice(0, 5).join('\t')}\tNOT_A_PROBE`,
    `UNRELATED\tmade in the test\tM12759_at\tU46499_at\tX59417_at`,
  ].join('\n');
  const enrichForm = page.getByRole('form', { name: 'Enrichment in gene sets' });
  await enrichForm
    .getByLabel('Gene sets (GMT file)')
    .setInputFiles({ name: 'small.gmt', mimeType: 'text/plain', buffer: Buffer.from(gmt + '\n') });
  await enrichForm.getByRole('button', { name: 'Test the markers' }).click();
  const c1 = page.getByTestId('enrichment').first();
  await expect(c1.getByRole('row').nth(1)).toContainText('C1_PROGRAM');
  await expect(c1.getByRole('row').nth(1)).toContainText(firstMarkers[0]);
  await page.getByRole('heading', { name: 'Enrichment in gene sets' }).scrollIntoViewIfNeeded();
  await shot(page, 'reading-05-run-enrichment');
  await axe(page, 'run reading');
  expect(pageErrors).toEqual([]);
});
