/**
 * Hash routing (`#/runs/12?tab=w`): screens are linkable and the browser's Back works in both the
 * Electron window (file://) and browser mode.
 */

export interface Route {
  /** Path segments after `#/`, e.g. ['runs', '12']. */
  parts: string[];
  query: URLSearchParams;
}

function parse(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path, search] = text.split('?', 2);
  const parts = path
    .split('/')
    .filter((p) => p.length > 0)
    .map(decodeURIComponent);
  return { parts: parts.length ? parts : ['library'], query: new URLSearchParams(search ?? '') };
}

export const route: { current: Route } = $state({ current: parse(window.location.hash) });

window.addEventListener('hashchange', () => {
  route.current = parse(window.location.hash);
});

export function navigate(path: string): void {
  const target = path.startsWith('#') ? path : `#${path}`;
  if (window.location.hash === target) route.current = parse(target);
  else window.location.hash = target;
}

export { routeId } from './route-id';
