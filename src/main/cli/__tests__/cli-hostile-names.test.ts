import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terminalSafe } from '../terminal';
import { cli } from './in-process';

/** Names from files reach exports and the terminal; neither may run them. */
let dir: string;
let db: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmf-cli-names-'));
  db = join(dir, 'library.sqlite');
  const lines = ['gene\t=cmd|calc\t@s2\ts3\x1b]0;pwned\x07'];
  for (let i = 0; i < 12; i++) {
    const name = i === 0 ? '=HYPERLINK("http://x")' : i === 1 ? '-1+2' : i === 2 ? 'g\x1b[2J' : `g${i}`;
    lines.push(`${name}\t${1 + (i % 4)}\t${2 + (i % 3)}\t${1 + (i % 5)}`);
  }
  writeFileSync(join(dir, 'names.tsv'), lines.join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostile names', () => {
  it('escapes terminal controls in everything printed, keeping JSON valid', () => {
    expect(terminalSafe('a\x1b[31mred\u009b2J\r\x7f\tb\n')).toBe(
      'a\\u001b[31mred\\u009b2J\\u000d\\u007f\tb\n',
    );
    expect(JSON.parse(terminalSafe(JSON.stringify({ s: 'x\u009by' })))).toEqual({ s: 'x\u009by' });
  });

  it('writes exported W.tsv and H.tsv with formulas neutralised, and reads them back', async () => {
    const imported = await cli('import', join(dir, 'names.tsv'), '--db', db);
    expect(imported.code, imported.stderr).toBe(0);
    const shown = await cli('datasets', 'show', '1', '--db', db);
    for (const control of ['\x1b', '\x07', '\u009b']) expect(shown.stdout).not.toContain(control);
    expect(JSON.parse(shown.stdout).colNames[2]).toBe('s3\x1b]0;pwned\x07');
    const out = join(dir, 'fit');
    const fit = await cli(
      'fit',
      join(dir, 'names.tsv'),
      '--rank',
      '2',
      '--max-iter',
      '50',
      '--db',
      db,
      '--out',
      out,
    );
    expect(fit.code, fit.stderr).toBe(0);
    const W = readFileSync(join(out, 'W.tsv'), 'utf8').split('\n');
    // (The TSV writer quotes a field that holds quotes, as RFC 4180 does.)
    expect(W[1].split('\t')[0]).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(W[2].split('\t')[0]).toBe("'-1+2");
    const H = readFileSync(join(out, 'H.tsv'), 'utf8').split('\n');
    expect(H[0].split('\t').slice(1, 3)).toEqual(["'=cmd|calc", "'@s2"]);
    // `runs import` matches the neutralised names to the dataset's own.
    const back = await cli('runs', 'import', out, '--dataset', '1', '--db', db);
    expect(back.code, back.stderr).toBe(0);
  });
});
