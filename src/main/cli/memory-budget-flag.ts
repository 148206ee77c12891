import { ServiceError } from '../../shared/api';
import type { JobMemoryPlan } from '../../shared/domain/job-memory-plan';
import type { ServiceContext } from '../services/context';
import { parseByteSize } from '../services/memory-budget';

/**
 * `--memory-budget SIZE` for `sweep`, `consensus` and `project`, as `fit` takes it: it overrides
 * NMF_STUDIO_MEMORY_BUDGET and the Settings screen's budget for this command (memory-budget.ts).
 * Parsed before anything is read, so a bad size is refused first.
 */
export const memoryBudgetFlag = { 'memory-budget': { type: 'string' } } as const;

/** The flag's bytes, or undefined when it is not given; a bad SIZE is a bad_input naming the flag. */
export function memoryBudgetOf(values: Record<string, unknown>): number | undefined {
  const text = values['memory-budget'];
  return typeof text === 'string' ? parseByteSize(text, '--memory-budget') : undefined;
}

/** Sets the command's budget override on the context (nothing when the flag was not given). */
export function applyMemoryBudget(ctx: ServiceContext, bytes: number | undefined): void {
  if (bytes !== undefined) ctx.memoryBudget = { ...ctx.memoryBudget, overrideBytes: bytes };
}

/** Throws the plan's reason (bad_input) when it refuses the job. */
export function refuseOverBudget(plan: Pick<JobMemoryPlan, 'mode' | 'reason'>): void {
  if (plan.mode === 'refused') throw new ServiceError('bad_input', plan.reason);
}
