import type { Migration } from '../migrate';
import * as m0010 from './0010-create-datasets';
import * as m0020 from './0020-create-sweeps';
import * as m0030 from './0030-create-runs';
import * as m0040 from './0040-ownership-and-checksums';
import * as m0050 from './0050-create-annotations';
import * as m0060 from './0060-create-projections-and-consensus';
import * as m0070 from './0070-sweep-cluster-provenance';
import * as m0090 from './0090-consensus-cluster-provenance';
import * as m0140 from './0140-sweeps-ran-fixed-warmups';
import * as m0150 from './0150-sweep-fit-iterations';
import * as m0160 from './0160-compact-sample-labels';
import * as m0170 from './0170-kept-views';
import * as m0180 from './0180-kept-run-summaries';

/** Every migration, in order. Add new ones at the end, numbered in steps of 10. */
export const migrations: readonly Migration[] = [
  m0010,
  m0020,
  m0030,
  m0040,
  m0050,
  m0060,
  m0070,
  m0090,
  m0140,
  m0150,
  m0160,
  m0170,
  m0180,
];
