/**
 * The run lock of a command (`sync`, `metrics push`, `billing reconcile`): a second run while one
 * holds it ends at once with exit 75 (cron overlap, not an error to alarm on). proper-lockfile keeps
 * the lock fresh while the run lives, and a crashed run's lock goes stale and is taken over.
 */
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'
import lockfile from 'proper-lockfile'

import {AppError, LockedError} from './errors.js'

export interface RunLock {
  readonly path: string
  release(): Promise<void>
}

/** Take the lock named `name` in `dir` (e.g. `sync` → `<dir>/sync.lock`), or throw `LockedError`. */
export async function acquireRunLock(dir: string, name: string, opts: {staleMs?: number} = {}): Promise<RunLock> {
  try {
    await mkdir(dir, {recursive: true})
  } catch (error) {
    throw new AppError(`cannot create the lock directory ${dir}: ${(error as Error).message}`, {code: 'E_LOCK', hint: 'create it (writable by this user), or set lock_dir in the configuration'})
  }
  const target = join(dir, name)
  const path = `${target}.lock`
  let release: () => Promise<void>
  try {
    release = await lockfile.lock(target, {
      lockfilePath: path,
      onCompromised: () => {
        /* another process took a stale lock: our work is idempotent, so finish rather than crash */
      },
      realpath: false,
      retries: 0,
      stale: opts.staleMs ?? 30_000,
      update: Math.max(1000, Math.floor((opts.staleMs ?? 30_000) / 3)),
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new LockedError(name, path)
    throw new AppError(`cannot take the lock ${path}: ${(error as Error).message}`, {code: 'E_LOCK', hint: 'check that lock_dir is writable by this user'})
  }
  let released = false
  return {
    path,
    async release() {
      if (released) return
      released = true
      await release().catch(() => undefined)
    },
  }
}
