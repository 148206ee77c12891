import type { Migration } from '../migrate';
import * as m0010 from './0010-create-datasets';
import * as m0020 from './0020-create-sweeps';
import * as m0030 from './0030-create-runs';
import * as m0050 from './0050-create-annotations';

/** Every migration, in order. Add new ones at the end, numbered in steps of 10. */
export const migrations: readonly Migration[] = [m0010, m0020, m0030, m0050];
