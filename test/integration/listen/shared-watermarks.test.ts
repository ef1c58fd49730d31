/**
 * Watermarks shared through Redis by several `listen` processes: never moved back, whatever order
 * the processes write them in (real Redis).
 */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import {SharedWatermarks} from '../../../src/lib/listen/watermarks.js'
import {RedisViewStore} from '../../../src/lib/store/index.js'
import {REDIS_URL, requireService} from '../../support/services.js'

describe('listen: watermarks shared through Redis', () => {
  let stores: RedisViewStore[] = []
  let prefix: string
  before(async function () {
    await requireService(this, 'Redis', REDIS_URL)
  })
  beforeEach(() => {
    prefix = `test-marks-${randomUUID()}:`
    stores = []
  })
  afterEach(async () => {
    for (const s of stores) await s.close()
  })
  /** A listener process: its own connection and memory, the shared store. */
  const listener = (): SharedWatermarks => {
    const store = new RedisViewStore(REDIS_URL, prefix)
    stores.push(store)
    return new SharedWatermarks(store)
  }

  it('a process that applied an older event after another applied a newer one does not move the mark back', async () => {
    const a = listener()
    const b = listener()
    await a.set('server:s1', {deleted: false, version: 3_000_000})
    await b.set('server:s1', {deleted: false, version: 2_000_000})
    // A third process, which has seen nothing itself, reads the newest.
    expect(await listener().get('server:s1')).to.deep.equal({deleted: false, version: 3_000_000})
    expect(await b.get('server:s1')).to.deep.equal({deleted: false, version: 3_000_000})
  })

  it('many processes writing at once: the highest version stays, a deletion is final, µs kept exactly', async () => {
    const processes = [listener(), listener(), listener()]
    const base = 1_795_326_334_030_560
    const versions = Array.from({length: 60}, (_, i) => base + ((i * 7919) % 60))
    await Promise.all(versions.map(async (v, i) => processes[i % 3].set('server:s2', {deleted: i === 17, version: v})))
    expect(await listener().get('server:s2')).to.deep.equal({deleted: true, version: base + 59})
  })
})
