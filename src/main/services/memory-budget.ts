import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { ServiceError } from '../../shared/api';
import {
  MIN_MEMORY_BUDGET,
  parseSize,
  type MemoryBudgetSource,
  type MemoryBudgetView,
} from '../../shared/domain/memory-plan';
import { userDataDir } from '../paths';
import type { ServiceContext } from './context';

/**
 * The memory budget: the bytes a fit may hold (V when held, its factors and statistics), a
 * setting of this machine rather than of a library (a library moves between machines, memory does
 * not). Where it comes from, first found wins:
 *   1. the command line's `--memory-budget SIZE` (ServiceContext.memoryBudget.overrideBytes);
 *   2. the environment variable NMF_STUDIO_MEMORY_BUDGET (a SIZE);
 *   3. `settings.json` in the app's data folder (paths.ts `userDataDir`), set on the Settings screen;
 *   4. half the physical memory: the other half is left to the operating system, the app's
 *      windows, the library's cache and the rest of what the researcher runs.
 * SIZE is bytes or a number with K, M, G or T (powers of 1024, an optional "B" or "iB"): 8G, 512MiB.
 */

export type { MemoryBudgetSource };
export type MemoryBudget = MemoryBudgetView;

/** The environment variable that sets the budget. */
export const MEMORY_BUDGET_ENV = 'NMF_STUDIO_MEMORY_BUDGET';

/** Bytes of a SIZE ("8G", "1.5GiB", "512M", "1000000"), or an error naming `where` and the value. */
export function parseByteSize(text: string, where: string): number {
  const bytes = parseSize(text);
  if (bytes === null)
    throw new ServiceError(
      'bad_input',
      `${where}: "${text}" is not a size (use bytes or a number with K, M, G or T, e.g. 8G or 512M)`,
    );
  if (bytes < MIN_MEMORY_BUDGET)
    throw new ServiceError('bad_input', `${where}: ${text} is below the smallest memory budget, 64M`);
  return bytes;
}

/** Half the physical memory, in whole MiB. */
export function defaultMemoryBudget(physicalBytes: number = totalmem()): number {
  return Math.floor(physicalBytes / 2 / 2 ** 20) * 2 ** 20;
}

/** The folder holding this machine's settings.json. */
function settingsDir(ctx: Pick<ServiceContext, 'memoryBudget'>): string {
  return ctx.memoryBudget?.settingsDir ?? userDataDir();
}

interface MachineSettings {
  memoryBudgetBytes?: number | null;
}

function readSettings(dir: string): MachineSettings {
  let text: string;
  try {
    text = readFileSync(join(dir, 'settings.json'), 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as MachineSettings) : {};
  } catch {
    // A damaged settings file gives the defaults; saving a setting writes it whole again.
    return {};
  }
}

/** The budget in force for this context, and where it comes from. */
export function currentMemoryBudget(
  ctx: Pick<ServiceContext, 'memoryBudget'>,
  env: NodeJS.ProcessEnv = process.env,
): MemoryBudget {
  const physicalBytes = totalmem();
  const defaultBytes = defaultMemoryBudget(physicalBytes);
  const facts = { defaultBytes, physicalBytes };
  const override = ctx.memoryBudget?.overrideBytes;
  if (override !== undefined) return { bytes: override, source: 'command line', ...facts };
  const fromEnv = env[MEMORY_BUDGET_ENV];
  if (fromEnv !== undefined && fromEnv !== '')
    return { bytes: parseByteSize(fromEnv, MEMORY_BUDGET_ENV), source: 'environment', ...facts };
  const saved = readSettings(settingsDir(ctx)).memoryBudgetBytes;
  if (typeof saved === 'number' && Number.isSafeInteger(saved) && saved >= MIN_MEMORY_BUDGET)
    return { bytes: saved, source: 'settings', ...facts };
  return { bytes: defaultBytes, source: 'default', ...facts };
}

/**
 * Saves this machine's budget (null: back to the default) in settings.json, written whole to a
 * temporary name and renamed, so a crash never leaves half a file; other settings are kept.
 */
export function saveMemoryBudget(
  ctx: Pick<ServiceContext, 'memoryBudget'>,
  bytes: number | null,
): MemoryBudget {
  if (bytes !== null && (!Number.isSafeInteger(bytes) || bytes < MIN_MEMORY_BUDGET))
    throw new ServiceError('bad_input', `memory budget ${bytes} bytes is below the smallest, 64 MiB`);
  const dir = settingsDir(ctx);
  mkdirSync(dir, { recursive: true });
  const settings = { ...readSettings(dir), memoryBudgetBytes: bytes };
  const path = join(dir, 'settings.json');
  writeFileSync(`${path}.tmp`, JSON.stringify(settings, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
  return currentMemoryBudget(ctx);
}
