import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from './connection';

/**
 * Who computes with a library. Several processes may open one library at once (the app, `serve`,
 * a CLI command); each that may compute registers a row in `library_owners` and keeps it alive
 * with a heartbeat, and every queued or running run, sweep and consensus names its owner. A job is ended as
 * interrupted only by its owner (when it closes) or by a process that finds the owner dead: a
 * process on this host whose pid no longer exists, or an owner whose heartbeat is older than
 * OWNER_STALE_MS (another host, or a pid reused after a reboot). Read-only processes register
 * nothing and change nothing.
 */

/** How often an owner refreshes its heartbeat. */
export const HEARTBEAT_MS = 15_000;
/** An owner silent this long is dead even if its pid exists (generous: the main thread may be busy). */
export const OWNER_STALE_MS = 5 * 60_000;

export interface OwnerRow {
  id: string;
  pid: number;
  host: string;
  started_at: string;
  heartbeat_at: string;
}

/** Whether `pid` is a live process on this host (EPERM: alive, another user's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether an owner row still stands for a live process. Pure apart from the injected facts. */
export function ownerAlive(
  owner: Pick<OwnerRow, 'pid' | 'host' | 'heartbeat_at'>,
  nowMs: number,
  thisHost: string,
  isPidAlive: (pid: number) => boolean = pidAlive,
): boolean {
  const heartbeat = Date.parse(owner.heartbeat_at);
  if (!Number.isFinite(heartbeat) || nowMs - heartbeat > OWNER_STALE_MS) return false;
  if (owner.host === thisHost) return isPidAlive(owner.pid);
  return true;
}

export interface Ownership {
  /** This process's owner id, written into the jobs it starts. */
  readonly id: string;
  /** Jobs of dead owners (or of none) that this process ended as interrupted when it registered. */
  readonly reclaimed: { runs: number; sweeps: number; consensus: number };
  /** Ends this process's own unfinished jobs as interrupted and removes its row. */
  release(): void;
}

const INTERRUPTED_RUN = 'the process computing this run stopped before it finished';
const INTERRUPTED_SWEEP = 'the process computing this sweep stopped before it finished';
const INTERRUPTED_CONSENSUS = 'the process computing this consensus stopped before it finished';

/**
 * Registers this process as an owner, removes dead owners and ends the jobs nobody alive owns as
 * interrupted (one transaction), and starts the heartbeat (unref'd: it never keeps a process alive).
 */
export function claimOwnership(
  db: Db,
  options: { now?: () => Date; host?: string; pid?: number } = {},
): Ownership {
  const now = options.now ?? (() => new Date());
  const host = options.host ?? hostname();
  const pid = options.pid ?? process.pid;
  const id = `${host}:${pid}:${randomBytes(6).toString('hex')}`;
  const reclaimed = db.transaction(() => {
    const at = now().toISOString();
    db.prepare(
      'INSERT INTO library_owners (id, pid, host, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)',
    ).run(id, pid, host, at, at);
    const owners = db.prepare('SELECT * FROM library_owners').all() as OwnerRow[];
    const remove = db.prepare('DELETE FROM library_owners WHERE id = ?');
    for (const owner of owners) {
      if (owner.id !== id && !ownerAlive(owner, now().getTime(), host)) remove.run(owner.id);
    }
    const orphan =
      "state IN ('queued', 'running') AND (owner IS NULL OR owner NOT IN (SELECT id FROM library_owners))";
    const runs = db
      .prepare(`UPDATE runs SET state = 'interrupted', finished_at = ?, error = ? WHERE ${orphan}`)
      .run(at, INTERRUPTED_RUN).changes;
    const sweeps = db
      .prepare(`UPDATE sweeps SET state = 'interrupted', finished_at = ?, error = ? WHERE ${orphan}`)
      .run(at, INTERRUPTED_SWEEP).changes;
    const consensus = db
      .prepare(`UPDATE consensus SET state = 'interrupted', finished_at = ?, error = ? WHERE ${orphan}`)
      .run(at, INTERRUPTED_CONSENSUS).changes;
    return { runs, sweeps, consensus };
  })();
  const beat = db.prepare('UPDATE library_owners SET heartbeat_at = ? WHERE id = ?');
  const timer = setInterval(() => {
    try {
      if (db.open) beat.run(now().toISOString(), id);
    } catch {
      // Busy or closing: the next beat tries again, and OWNER_STALE_MS allows for many misses.
    }
  }, HEARTBEAT_MS);
  timer.unref();
  let released = false;
  return {
    id,
    reclaimed,
    release: () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      if (!db.open) return;
      db.transaction(() => {
        const at = now().toISOString();
        db.prepare(
          "UPDATE runs SET state = 'interrupted', finished_at = ?, error = ? WHERE owner = ? AND state IN ('queued', 'running')",
        ).run(at, INTERRUPTED_RUN, id);
        db.prepare(
          "UPDATE sweeps SET state = 'interrupted', finished_at = ?, error = ? WHERE owner = ? AND state IN ('queued', 'running')",
        ).run(at, INTERRUPTED_SWEEP, id);
        db.prepare(
          "UPDATE consensus SET state = 'interrupted', finished_at = ?, error = ? WHERE owner = ? AND state IN ('queued', 'running')",
        ).run(at, INTERRUPTED_CONSENSUS, id);
        db.prepare('DELETE FROM library_owners WHERE id = ?').run(id);
      })();
    },
  };
}

/**
 * Whether nobody alive computes a job owned by `owner` (null: a job from before owners existed).
 * Used before ending someone else's job, e.g. when the user cancels a run this process does not run.
 */
export function ownerGone(db: Db, owner: string | null, nowMs = Date.now(), host = hostname()): boolean {
  if (owner === null) return true;
  const row = db.prepare('SELECT * FROM library_owners WHERE id = ?').get(owner) as OwnerRow | undefined;
  return !row || !ownerAlive(row, nowMs, host);
}

/** A short description of a job's owner for messages ("process 1234 on host"). */
export function describeOwner(db: Db, owner: string | null): string {
  if (owner === null) return 'no process';
  const row = db.prepare('SELECT pid, host FROM library_owners WHERE id = ?').get(owner) as
    { pid: number; host: string } | undefined;
  return row ? `process ${row.pid} on ${row.host}` : 'a process that has stopped';
}
