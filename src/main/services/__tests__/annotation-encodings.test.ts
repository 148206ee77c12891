import { describe, expect, it } from 'vitest';
import type { AnnotationSet, AnnotationSetHeading } from '../../../shared/domain';
import { call, servicesInTempFolders, synthesizedDataset } from './harness';

/**
 * Annotation files as spreadsheets save them: UTF-16 ("Unicode Text"), classic Mac line ends,
 * Windows-1252, and damaged ones. Each is read as the matrix readers read text, or refused naming the
 * file and line with nothing stored.
 */
const start = servicesInTempFolders('nmf-annotation-encodings-');

describe('annotation file encodings', () => {
  it('reads UTF-16, lone-CR and Windows-1252 files; refuses NUL bytes, storing nothing', async () => {
    const services = start();
    const datasetId = await synthesizedDataset(services, 3, 4, { features: 6, rank: 2 });
    const { colNames } = await call<{ colNames: string[] }>(services, 'datasets:get', { id: datasetId });
    const rows = colNames.map((s, j) => `${s}\tgroupé ${j % 2}`);
    const text = `sample\tclass\n${rows.join('\n')}\n`;
    const files: Array<[string, Buffer]> = [
      [
        'unicode.txt',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replaceAll('\n', '\r\n'), 'utf16le')]),
      ],
      ['mac.tsv', Buffer.from(text.replaceAll('\n', '\r'))],
      ['latin1.tsv', Buffer.from(text, 'latin1')],
    ];
    for (const [fileName, bytes] of files) {
      const set = await call<AnnotationSet>(services, 'annotations:import', {
        datasetId,
        axis: 'samples',
        file: { fileName, bytes: new Uint8Array(bytes) },
      });
      expect(set.warnings, fileName).toEqual(
        fileName === 'latin1.tsv' ? ['read as Windows-1252 (Latin-1) text: the file is not UTF-8'] : [],
      );
      expect(set.columns, fileName).toEqual([
        {
          name: 'class',
          kind: 'categorical',
          levels: ['groupé 0', 'groupé 1'],
          values: colNames.map((_, j) => `groupé ${j % 2}`),
        },
      ]);
    }
    const refusals: Array<[string, Buffer, string]> = [
      [
        'cut.tsv',
        Buffer.concat([Buffer.from(text.slice(0, -4)), Buffer.alloc(64)]),
        'annotations:import: bad_input: cut.tsv line 5 holds a NUL character: not a text table (a binary file, UTF-16 text without a byte-order mark, or a download cut short and padded with zeros?)',
      ],
    ];
    for (const [fileName, bytes, message] of refusals) {
      await expect(
        call(services, 'annotations:import', {
          datasetId,
          axis: 'samples',
          file: { fileName, bytes: new Uint8Array(bytes) },
        }),
      ).rejects.toThrow(message);
    }
    const sets = await call<AnnotationSetHeading[]>(services, 'annotations:sets', { datasetId });
    expect(sets.map((s) => s.sourceName)).toEqual(['unicode.txt', 'mac.tsv', 'latin1.tsv']);
  });
});
