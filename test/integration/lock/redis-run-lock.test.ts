import {expect} from 'chai'
import {Redis} from 'ioredis'
import {randomUUID} from 'node:crypto'

import {AppError, LockedError} from '../../../src/lib/errors.js'
import {acquireRedisRunLock, takeRunLock} from '../../../src/lib/lock.js'
import {failure} from '../../support/failure.js'
import {REDIS_URL, requireService} from '../../support/services.js'
import {startSyncWorld, type SyncWorld} from '../sync/support.js'

const pause = async (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('run lock in Redis (lib/lock, store type redis)', () => {
  let redis: Redis
  let prefix: string
  before(async function () {
    await requireService(this, 'Redis', REDIS_URL)
    redis = new Redis(REDIS_URL)
  })
  beforeEach(() => {
    prefix = `test-${randomUUID()}:`
  })
  after(async () => {
    await redis?.quit()
  })

  it('a second holder (another host) is refused with LockedError (exit 75) until the first releases', async () => {
    const first = await acquireRedisRunLock(REDIS_URL, prefix, 'sync')
    const error = await failure(acquireRedisRunLock(REDIS_URL, prefix, 'sync'), LockedError)
    expect(error.exitCode).to.equal(75)
    expect(error.message).to.contain("another 'sync' is running").and.contain(`${prefix}lock:sync`)
    await first.release()
    expect(await redis.exists(`${prefix}lock:sync`)).to.equal(0)
    const again = await acquireRedisRunLock(REDIS_URL, prefix, 'sync')
    await again.release()
  })

  it('different names do not block each other', async () => {
    const a = await acquireRedisRunLock(REDIS_URL, prefix, 'sync')
    const b = await acquireRedisRunLock(REDIS_URL, prefix, 'metrics')
    await Promise.all([a.release(), b.release()])
  })

  it('is renewed while the run lives: held well past its TTL', async () => {
    const lock = await acquireRedisRunLock(REDIS_URL, prefix, 'sync', {staleMs: 300})
    try {
      await pause(900)
      await failure(acquireRedisRunLock(REDIS_URL, prefix, 'sync', {staleMs: 300}), LockedError)
      expect(await redis.pttl(`${prefix}lock:sync`)).to.be.within(1, 300)
    } finally {
      await lock.release()
    }
  })

  it("a crashed run's lock expires and is taken", async () => {
    await redis.set(`${prefix}lock:sync`, 'a crashed run', 'PX', 200)
    await failure(acquireRedisRunLock(REDIS_URL, prefix, 'sync'), LockedError)
    await pause(300)
    const lock = await acquireRedisRunLock(REDIS_URL, prefix, 'sync')
    await lock.release()
  })

  it('a release deletes only its own lock, never one another run took since', async () => {
    const lock = await acquireRedisRunLock(REDIS_URL, prefix, 'sync')
    // As if it had expired (a long pause of this run) and another run had taken it.
    await redis.set(`${prefix}lock:sync`, 'another run')
    await lock.release()
    expect(await redis.get(`${prefix}lock:sync`)).to.equal('another run')
  })

  it('Redis unreachable: a clear error (not "locked"), naming where', async () => {
    const error = await failure(acquireRedisRunLock('redis://127.0.0.1:1/0', prefix, 'sync'), AppError)
    expect(error).to.not.be.instanceOf(LockedError)
    expect(error.message).to.match(/cannot take the lock redis key .*lock:sync at redis:\/\/127\.0\.0\.1:1\/0/)
    expect(error.hint).to.contain('store.url')
  })

  it('takeRunLock takes it in Redis when the store is Redis, in lock_dir otherwise', async () => {
    const lock = await takeRunLock({lock_dir: '/nonexistent/never-used', store: {key_prefix: prefix, path: '/nonexistent/view.json', type: 'redis', url: REDIS_URL}}, 'sync')
    try {
      expect(await redis.exists(`${prefix}lock:sync`)).to.equal(1)
      expect(lock.path).to.contain(`${prefix}lock:sync`)
    } finally {
      await lock.release()
    }
  })

  describe('concertim-os sync with the Redis store (real process, simulator)', () => {
    let w: SyncWorld | undefined
    afterEach(async () => {
      await w?.stop()
      w = undefined
    })

    it('exits 75 while another host holds the sync lock, though no lock file is held on this one', async () => {
      w = await startSyncWorld({extra: {store: {key_prefix: prefix, type: 'redis', url: REDIS_URL}}})
      const other = await acquireRedisRunLock(REDIS_URL, prefix, 'sync')
      try {
        const run = await w.cli(['sync', '--json'])
        expect(run.code, run.stderr).to.equal(75)
        expect((JSON.parse(run.stdout) as {error: {code: string}}).error.code).to.equal('E_LOCKED')
        expect(w.sim.concertim.racks.size).to.equal(0)
      } finally {
        await other.release()
      }
    })
  })
})
