import { pathToFileURL } from 'node:url';

/**
 * The renderer's address and the test for it, kept free of Electron so they are unit-tested
 * without the Electron binary.
 */

/**
 * The page the window loads: the built renderer file, or, in development only, the dev server
 * that electron-vite names in ELECTRON_RENDERER_URL. A packaged app ignores the variable: anyone
 * able to set an environment variable could otherwise point the app, with its IPC bridge to the
 * library, at a page of their choosing.
 */
export function rendererUrlFor(options: {
  isPackaged: boolean;
  devServerUrl: string | undefined;
  rendererIndexPath: string;
}): string {
  const fileUrl = pathToFileURL(options.rendererIndexPath).href;
  if (options.isPackaged || !options.devServerUrl) return fileUrl;
  try {
    const dev = new URL(options.devServerUrl);
    // The dev server runs on this machine, over plain HTTP.
    if (dev.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(dev.hostname))
      return dev.href;
  } catch {
    // Not a URL: ignored.
  }
  return fileUrl;
}

/**
 * Whether `url` is the app's own page: for the built renderer, a `file:` URL with the same host
 * (empty: on Windows `file://server/share/…` is a network path) and the same path, any query or
 * hash; for the dev server, its exact origin. Exact comparisons, never prefixes.
 */
export function isAppUrl(url: string, rendererIndexUrl: string): boolean {
  try {
    const given = new URL(url);
    const expected = new URL(rendererIndexUrl);
    if (expected.protocol === 'file:')
      return (
        given.protocol === 'file:' && given.host === expected.host && given.pathname === expected.pathname
      );
    return given.origin === expected.origin;
  } catch {
    return false;
  }
}
