import type { Channel, EventName } from './channels';

/**
 * Channel and event names as plain data, with no runtime dependency on the schemas: the sandboxed
 * preload and the renderer's transport need the names only, and importing them from here keeps zod
 * out of those bundles. A compile-time check keeps the lists equal to the contract's keys.
 */
export const channelNames = [
  'app:info',
  'library:stats',
  'library:export',
  'library:merge',
  'datasets:list',
  'datasets:get',
  'datasets:truth',
  'datasets:inspect',
  'datasets:import',
  'datasets:cancelImport',
  'datasets:rename',
  'datasets:delete',
  'datasets:synthesize',
  'datasets:pca',
  'runs:list',
  'runs:get',
  'runs:start',
  'runs:estimate',
  'runs:cancel',
  'runs:rerun',
  'runs:update',
  'runs:delete',
  'runs:restore',
  'runs:assign',
  'runs:importFactors',
  'sweeps:list',
  'sweeps:get',
  'sweeps:start',
  'sweeps:estimate',
  'sweeps:cancel',
  'sweeps:resume',
  'sweeps:delete',
  'compare:align',
  'compare:activity',
  'jobs:list',
  'projections:start',
  'projections:begin',
  'projections:cancel',
  'projections:list',
  'projections:get',
  'projections:delete',
  'consensus:start',
  'consensus:list',
  'consensus:get',
  'consensus:cancel',
  'consensus:resume',
  'consensus:delete',
  'consensus:rethreshold',
  'consensus:clustergram',
  'sweeps:clusterExport',
  'sweeps:clusterImport',
  'consensus:clusterExport',
  'consensus:clusterImport',
  'annotations:import',
  'annotations:list',
  'annotations:delete',
  'runs:classes',
  'runs:markers',
  'runs:enrich',
  'sweeps:classes',
  'sweeps:consensus',
  'settings:memoryBudget',
  'settings:setMemoryBudget',
  'consensus:estimate',
  'projections:estimate',
  'runs:exportJson',
  'downloads:read',
  'downloads:cancel',
  'uploads:begin',
  'uploads:append',
  'uploads:cancel',
  'runs:exportTable',
] as const satisfies readonly Channel[];

export const eventNames = [
  'jobs:progress',
  'datasets:importProgress',
  'library:changed',
] as const satisfies readonly EventName[];

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _allChannels: Exact<(typeof channelNames)[number], Channel> = true;
const _allEvents: Exact<(typeof eventNames)[number], EventName> = true;
void _allChannels;
void _allEvents;
