import { StringDecoder } from 'node:string_decoder';
import { openByteSource } from './source';
import type { Delimiter } from './tokenize';
import { splitQuoted } from './tokenize';

/** The beginning of a (possibly gzipped) text file. */
export interface FileHead {
  /** Decoded text of the first bytes, cut at the last complete line unless the file ended. */
  text: string;
  /** True when the whole file fits in `text`. */
  complete: boolean;
  /** Bytes of the file on disk consumed to produce `text` (compressed bytes for .gz). */
  bytesConsumed: number;
  /** Decompressed bytes behind `text`. */
  bytesDecoded: number;
  totalBytes: number;
  compressed: boolean;
}

/** Reads about `maxBytes` of decompressed text from the start of a file, without reading the rest. */
export async function readHead(path: string, maxBytes = 1 << 16): Promise<FileHead> {
  const source = await openByteSource(path);
  const decoder = new StringDecoder('utf8');
  const parts: string[] = [];
  let decoded = 0;
  let complete = true;
  try {
    for await (const chunk of source.chunks) {
      const room = maxBytes - decoded;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      parts.push(decoder.write(piece));
      decoded += piece.length;
      if (decoded >= maxBytes) {
        complete = false;
        break;
      }
    }
  } finally {
    source.close();
  }
  let text = parts.join('');
  if (complete) {
    text += decoder.end();
  } else {
    const lastBreak = text.lastIndexOf('\n');
    if (lastBreak >= 0) text = text.slice(0, lastBreak + 1);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return {
    text,
    complete,
    bytesConsumed: Math.min(source.bytesRead(), source.totalBytes),
    bytesDecoded: decoded,
    totalBytes: source.totalBytes,
    compressed: source.compressed,
  };
}

/** Non-blank, non-comment physical lines of a head, without line ends. */
export function contentLines(text: string, limit: number): string[] {
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim().length === 0 || line.startsWith('#')) continue;
    lines.push(line);
    if (lines.length >= limit) break;
  }
  return lines;
}

/**
 * Delimiter of a `.txt` table: tab when the first lines hold tabs (empty cells then survive),
 * comma when every line splits into the same number (> 1) of comma-separated fields and holds
 * no blanks between fields, otherwise runs of spaces and tabs.
 */
export function detectTxtDelimiter(lines: string[]): Delimiter {
  if (lines.some((line) => line.includes('\t'))) return '\t';
  const counts = lines.map((line) => splitQuoted(line, ',')?.length ?? 0);
  const spaced = lines.some((line) => (splitQuoted(line, 'whitespace')?.length ?? 0) > 1);
  if (counts.length > 0 && counts[0] > 1 && counts.every((c) => c === counts[0]) && !spaced) return ',';
  return 'whitespace';
}
