import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aboutText } from '../about';
import { unpackedPath, workerEntryPath } from '../asar';
import { datasetPageUrl } from '../navigation';

describe('unpackedPath / workerEntryPath', () => {
  const resources = join(sep, 'opt', 'NMF Studio', 'resources');
  const inside = join(resources, 'app.asar', 'out', 'main', 'nmf.worker.js');
  const unpacked = join(resources, 'app.asar.unpacked', 'out', 'main', 'nmf.worker.js');

  it('maps a path inside app.asar to the unpacked folder beside it', () => {
    expect(unpackedPath(inside)).toBe(unpacked);
    expect(unpackedPath(join(sep, 'src', 'app', 'out', 'main', 'nmf.worker.js'))).toBe(
      join(sep, 'src', 'app', 'out', 'main', 'nmf.worker.js'),
    );
    // Only a path segment named exactly app.asar counts.
    expect(unpackedPath(join(sep, 'x', 'app.asarx', 'a.js'))).toBe(join(sep, 'x', 'app.asarx', 'a.js'));
  });

  it('prefers the unpacked worker when it exists', () => {
    expect(workerEntryPath(inside, (path) => path === unpacked)).toBe(unpacked);
    expect(workerEntryPath(inside, () => false)).toBe(inside);
    const development = join(sep, 'repo', 'out', 'main', 'nmf.worker.js');
    expect(workerEntryPath(development, () => true)).toBe(development);
  });
});

describe('datasetPageUrl', () => {
  it('points the renderer’s hash router at the dataset', () => {
    expect(datasetPageUrl('file:///opt/app/out/renderer/index.html', 7)).toBe(
      'file:///opt/app/out/renderer/index.html#/datasets/7',
    );
    expect(datasetPageUrl('http://localhost:5173/#/runs/3?tab=w', 12)).toBe(
      'http://localhost:5173/#/datasets/12',
    );
  });

  it('refuses what is not a dataset id', () => {
    expect(() => datasetPageUrl('file:///a/index.html', 0)).toThrow('not a dataset id: 0');
    expect(() => datasetPageUrl('file:///a/index.html', 1.5)).toThrow('not a dataset id: 1.5');
  });
});

describe('aboutText', () => {
  it('names the versions and the library path', () => {
    const { message, detail } = aboutText({
      productName: 'NMF Studio',
      appVersion: '0.1.0',
      engineVersion: '3',
      versions: { electron: '45.4.1', node: '22.20.0', chrome: '142.0.0.0' },
      libraryPath: '/home/ana/.config/NMF Studio/library.sqlite',
    });
    expect(message).toBe('NMF Studio 0.1.0');
    expect(detail).toBe(
      [
        'Engine 3',
        'Electron 45.4.1',
        'Node 22.20.0',
        'Chromium 142.0.0.0',
        '',
        'Library: /home/ana/.config/NMF Studio/library.sqlite',
      ].join('\n'),
    );
    expect(
      aboutText({
        ...{ productName: 'N', appVersion: '1', engineVersion: '1', libraryPath: '' },
        versions: {},
      }).detail,
    ).toContain('Electron unknown');
  });
});
