import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The File › Open Recent list on Linux and Windows, kept by the app in a JSON file in its data
 * folder (macOS keeps its own list for the `recentDocuments` menu role, which works only there).
 * Most recent first, no duplicates, at most `limit` entries. A missing or damaged file is an empty
 * list: losing the list is not worth an error.
 */
export class RecentFiles {
  private entries: string[];

  constructor(
    private readonly file: string,
    private readonly limit = 10,
  ) {
    this.entries = RecentFiles.read(file).slice(0, limit);
  }

  private static read(file: string): string[] {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (!Array.isArray(parsed)) return [];
      const paths = parsed.filter((entry): entry is string => typeof entry === 'string' && entry.length > 0);
      return [...new Set(paths)];
    } catch {
      return [];
    }
  }

  list(): string[] {
    return [...this.entries];
  }

  add(path: string): void {
    this.entries = [path, ...this.entries.filter((entry) => entry !== path)].slice(0, this.limit);
    this.save();
  }

  remove(path: string): void {
    const kept = this.entries.filter((entry) => entry !== path);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.save();
  }

  clear(): void {
    this.entries = [];
    this.save();
  }

  private save(): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(this.file, JSON.stringify(this.entries, null, 2));
    } catch {
      // The list stays right for this session; only its memory across launches is lost.
    }
  }
}
