/**
 * The run lock of a command (`sync`, `metrics push`, `billing reconcile`): a second run while one
 * holds it ends at once with exit 75 (cron overlap, not an error to alarm on).
 *
 * Where it is taken follows the view store: with the `file` store a lock file in `lock_dir`
 * (proper-lockfile keeps it fresh while the run lives; a crashed run's lock goes stale and is taken
 * over); with the `redis` store — several hosts — a Redis key, so that two hosts never run at once:
 * `SET NX PX` with a token of this run, renewed while the run lives and deleted on release only if
 * it still holds that token (Lua), so that a run never releases a lock another has taken since; a
 * crashed run's key expires.
 */
import {randomUUID} from 'node:crypto'
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'
import lockfile from 'proper-lockfile'

import type {Config} from './config/index.js'
import {AppError, LockedError} from './errors.js'
import {redactText} from './output/redact.js'

export interface RunLock {
  /** Where the lock is (a file, or a Redis key and server), for messages. */
  readonly path: string
  release(): Promise<void>
}

/** How long a lock outlives a run that stopped renewing it (a crash), ms. */
const DEFAULT_STALE_MS = 30_000

/** Take the lock named `name` where the configuration says (see the module), or throw `LockedError`. */
export async function takeRunLock(config: Pick<Config, 'lock_dir' | 'store'>, name: string): Promise<RunLock> {
  if (config.store.type === 'redis') return acquireRedisRunLock(config.store.url as string, config.store.key_prefix, name)
  return acquireRunLock(config.lock_dir, name)
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
      stale: opts.staleMs ?? DEFAULT_STALE_MS,
      update: Math.max(1000, Math.floor((opts.staleMs ?? DEFAULT_STALE_MS) / 3)),
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw new LockedError(name, path)
    throw new AppError(`cannot take the lock ${path}: ${(error as Error).message}`, {code: 'E_LOCK', hint: 'check that lock_dir is writable by this user'})
  }
  return heldLock(path, async () => release())
}

/** Extend the lock's life if this run still holds it. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`

/** Delete the lock if this run still holds it (never one another run has taken since). */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

/**
 * Take the lock named `name` in Redis (key `<prefix>lock:<name>`), or throw `LockedError`. It lives
 * `staleMs` past the last renewal, renewed every third of that while the run lives.
 */
export async function acquireRedisRunLock(url: string, prefix: string, name: string, opts: {staleMs?: number} = {}): Promise<RunLock> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS
  const key = `${prefix}lock:${name}`
  const path = `redis key ${key} at ${redactText(url)}`
  // ioredis only when the store is Redis (every command that takes a lock would pay for it at start).
  const {Redis} = await import('ioredis')
  const redis = new Redis(url, {connectTimeout: 10_000, lazyConnect: true, maxRetriesPerRequest: 3})
  redis.on('error', () => {
    /* surfaced by the failing call */
  })
  const token = randomUUID()
  let taken: null | string
  try {
    await redis.connect()
    taken = await redis.set(key, token, 'PX', staleMs, 'NX')
  } catch (error) {
    redis.disconnect()
    throw new AppError(`cannot take the lock ${path}: ${redactText((error as Error).message)}`, {code: 'E_LOCK', hint: 'check store.url and that Redis is running'})
  }
  if (taken !== 'OK') {
    redis.disconnect()
    throw new LockedError(name, path)
  }
  // A renewal that fails (Redis away for a moment, or the lock lost): the work is idempotent, so
  // the run finishes rather than crash, as with a compromised lock file.
  const renewal = setInterval(() => void redis.eval(RENEW, 1, key, token, String(staleMs)).catch(() => undefined), Math.max(50, Math.floor(staleMs / 3)))
  renewal.unref()
  return heldLock(path, async () => {
    clearInterval(renewal)
    await redis.eval(RELEASE, 1, key, token).catch(() => undefined)
    await redis.quit().catch(() => redis.disconnect())
  })
}

/** A lock as held: released once, however often `release` is called; a failed release is not an error. */
function heldLock(path: string, free: () => Promise<void>): RunLock {
  let released = false
  return {
    path,
    async release() {
      if (released) return
      released = true
      await free().catch(() => undefined)
    },
  }
}
