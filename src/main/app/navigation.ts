/**
 * The renderer's address of a dataset's page (hash routing, src/renderer/src/lib/router.svelte.ts:
 * `#/datasets/<id>`). Loading it into a window that already shows the app is a same-document
 * navigation, so the renderer switches screens without reloading; before the first load finishes
 * it is simply the page the app starts on.
 */
export function datasetPageUrl(rendererUrl: string, datasetId: number): string {
  if (!Number.isInteger(datasetId) || datasetId <= 0) throw new Error(`not a dataset id: ${datasetId}`);
  const base = rendererUrl.split('#', 1)[0];
  return `${base}#/datasets/${datasetId}`;
}
