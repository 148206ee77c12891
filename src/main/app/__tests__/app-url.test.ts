import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isAppUrl, rendererUrlFor } from '../app-url';

const index = join('/opt', 'NMF Studio', 'resources', 'app.asar', 'out', 'renderer', 'index.html');
const fileUrl = pathToFileURL(index).href;

describe('the renderer address', () => {
  it('ignores ELECTRON_RENDERER_URL in a packaged app', () => {
    expect(
      rendererUrlFor({ isPackaged: true, devServerUrl: 'http://localhost:5173/', rendererIndexPath: index }),
    ).toBe(fileUrl);
    expect(
      rendererUrlFor({ isPackaged: true, devServerUrl: 'https://evil.example/', rendererIndexPath: index }),
    ).toBe(fileUrl);
  });

  it('uses a local dev server in development, and nothing else', () => {
    expect(
      rendererUrlFor({ isPackaged: false, devServerUrl: 'http://localhost:5173/', rendererIndexPath: index }),
    ).toBe('http://localhost:5173/');
    for (const url of [
      'https://evil.example/',
      'http://192.168.1.5:5173/',
      'file:///tmp/x.html',
      'not a url',
    ]) {
      expect(rendererUrlFor({ isPackaged: false, devServerUrl: url, rendererIndexPath: index }), url).toBe(
        fileUrl,
      );
    }
    expect(rendererUrlFor({ isPackaged: false, devServerUrl: undefined, rendererIndexPath: index })).toBe(
      fileUrl,
    );
  });
});

describe('the app URL check', () => {
  it('accepts the app page with any hash or query', () => {
    expect(isAppUrl(fileUrl, fileUrl)).toBe(true);
    expect(isAppUrl(`${fileUrl}#/datasets/3`, fileUrl)).toBe(true);
    expect(isAppUrl(`${fileUrl}?x=1`, fileUrl)).toBe(true);
  });

  it('refuses a file URL on another host (a network path on Windows), another file, or another scheme', () => {
    const onHost = new URL(fileUrl);
    onHost.host = 'attacker.example';
    expect(onHost.href.startsWith('file://attacker.example/')).toBe(true);
    expect(isAppUrl(onHost.href, fileUrl)).toBe(false);
    expect(isAppUrl(pathToFileURL('/tmp/index.html').href, fileUrl)).toBe(false);
    expect(isAppUrl(`${fileUrl}.evil.html`, fileUrl)).toBe(false);
    expect(isAppUrl('https://example.org/', fileUrl)).toBe(false);
    expect(isAppUrl('not a url', fileUrl)).toBe(false);
  });

  it('compares a dev server by exact origin', () => {
    expect(isAppUrl('http://localhost:5173/#/runs', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(isAppUrl('http://localhost.evil.example:5173/', 'http://localhost:5173/')).toBe(false);
  });
});
