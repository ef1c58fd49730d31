import {expect} from 'chai'
import {Redis} from 'ioredis'
import sinon from 'sinon'
import {execFileSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {AppError} from '../../../src/lib/errors.js'
import {WRITE_INTERVAL_MS} from '../../../src/lib/store/file.js'
import {FileViewStore, type NoteLifetimes, RedisViewStore, type ViewStore} from '../../../src/lib/store/index.js'
import {failure} from '../../support/failure.js'
import {REDIS_URL, requireService} from '../../support/services.js'

/** A store of each kind, and a way to put raw stored text under its entries' keys (as another writer, or a bug, might). */
interface Made {
  /** Entries as stored text, by key (for a file: JSON text, put in the document as is). */
  plant(entries: Record<string, string>): Promise<void>
  store: ViewStore
}

const kinds: [string, (lifetimes?: NoteLifetimes) => Made, ((ctx: Mocha.Context) => Promise<void>) | undefined][] = [
  [
    'file',
    (lifetimes) => {
      const path = join(mkdtempSync(join(tmpdir(), 'cos-store-')), 'sub', 'view.json')
      return {
        async plant(entries) {
          mkdirSync(join(path, '..'), {recursive: true})
          writeFileSync(path, `{"version":1,"values":{},"entries":{${Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}}`)
        },
        store: new FileViewStore(path, lifetimes),
      }
    },
    undefined,
  ],
  [
    'redis',
    (lifetimes) => {
      const prefix = `test-${randomUUID()}:`
      return {
        async plant(entries) {
          const redis = new Redis(REDIS_URL)
          await redis.hset(`${prefix}view:entries`, entries)
          await redis.quit()
        },
        store: new RedisViewStore(REDIS_URL, prefix, lifetimes),
      }
    },
    (ctx) => requireService(ctx, 'Redis', REDIS_URL),
  ],
]

for (const [kind, makeStore, needs] of kinds) {
  const make = (): ViewStore => makeStore().store
  describe(`view store: ${kind}`, () => {
    let store: ViewStore
    before(async function () {
      if (needs) await needs(this)
    })
    beforeEach(() => {
      store = make()
    })
    afterEach(async () => {
      await store.close()
    })

    it('starts empty', async () => {
      const snap = await store.load()
      expect(snap.entries.size).to.equal(0)
      expect(snap.values).to.deep.equal({})
    })

    it('puts, gets, removes entries and values in batches', async () => {
      await store.apply({put: {'rack:a': {hash: 'h1', id: 'r1'}, 'rack:b': {hash: 'h2'}}, values: {lastCompleteSync: '2026-11-22T00:00:00Z'}})
      await store.apply({put: {'device:c': {hash: 'h3'}}, remove: ['rack:b']})
      const snap = await store.load()
      expect([...snap.entries.keys()].sort()).to.deep.equal(['device:c', 'rack:a'])
      expect(snap.entries.get('rack:a')).to.deep.equal({hash: 'h1', id: 'r1'})
      expect(snap.values).to.deep.equal({lastCompleteSync: '2026-11-22T00:00:00Z'})
      const some = await store.get(['rack:a', 'rack:b', 'nope'])
      expect([...some.keys()]).to.deep.equal(['rack:a'])
      await store.apply({values: {lastCompleteSync: null}})
      expect((await store.load()).values).to.deep.equal({})
    })

    it('concurrent batches from many writers lose nothing', async () => {
      const writers = Array.from({length: 20}, (_, i) => store.apply({put: {[`k${i}`]: {i}}}))
      await Promise.all(writers)
      expect((await store.load()).entries.size).to.equal(20)
    })

    it('a second store on the same location sees the first one\'s writes', async () => {
      await store.apply({put: {x: {v: 1}}})
      const other = kind === 'file' ? new FileViewStore(store.location) : store
      expect((await other.get(['x'])).get('x')).to.deep.equal({v: 1})
    })

    it('keeps listen watermarks and Keystone deletion notes out of the view: load() leaves them out, get() and notes() read them', async () => {
      const deletion = {deletedAt: '2026-11-22T06:00:00.000Z', event: 'identity.user.deleted', id: 'u1', kind: 'user'}
      await store.apply({put: {'keystone:project:p1': {deletedAt: 'x'}, 'keystone:user:u1': deletion, 'listen-watermark:server:s1': {deleted: false, version: 7}, 'rack:a': {hash: 'h'}}})
      expect([...(await store.load()).entries.keys()]).to.deep.equal(['rack:a'])
      expect(Object.fromEntries(await store.get(['listen-watermark:server:s1', 'keystone:user:u1', 'rack:a']))).to.deep.equal({
        'keystone:user:u1': deletion,
        'listen-watermark:server:s1': {deleted: false, version: 7},
        'rack:a': {hash: 'h'},
      })
      const notes = await store.notes('keystone:')
      expect([...notes.keys()].sort()).to.deep.equal(['keystone:project:p1', 'keystone:user:u1'])
      expect(notes.get('keystone:user:u1')).to.deep.equal(deletion)
      expect([...(await store.notes('keystone:user:')).keys()]).to.deep.equal(['keystone:user:u1'])
      await store.apply({remove: ['keystone:project:p1']})
      expect([...(await store.notes('keystone:')).keys()]).to.deep.equal(['keystone:user:u1'])
    })

    it('a note is dropped when its lifetime is over (watermarks and Keystone notes each have their own)', async () => {
      await store.close()
      const made = makeStore({keystoneMs: 400, watermarkMs: 100})
      store = made.store
      await store.apply({put: {'keystone:user:u1': {deletedAt: 'x'}, 'listen-watermark:server:s1': {deleted: false, version: 1}}})
      if (store.advanceMark !== undefined) await store.advanceMark('listen-watermark:server:s2', {deleted: false, version: 2})
      else await store.apply({put: {'listen-watermark:server:s2': {deleted: false, version: 2}}})
      expect((await store.get(['listen-watermark:server:s1', 'listen-watermark:server:s2', 'keystone:user:u1'])).size).to.equal(3)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect([...(await store.get(['listen-watermark:server:s1', 'listen-watermark:server:s2', 'keystone:user:u1'])).keys()]).to.deep.equal(['keystone:user:u1'])
      expect((await store.notes('listen-watermark:')).size).to.equal(0)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect((await store.notes('keystone:')).size).to.equal(0)
      expect((await store.get(['keystone:user:u1'])).size).to.equal(0)
    })

    it('notes an older version kept among the entries are moved out of the view and still read', async () => {
      await store.close()
      const made = makeStore()
      store = made.store
      await made.plant({'keystone:user:u1': '{"deletedAt":"2026-11-22T06:00:00.000Z"}', 'listen-watermark:server:s1': '{"deleted":false,"version":3}', 'rack:a': '{"hash":"h"}'})
      expect([...(await store.load()).entries.keys()]).to.deep.equal(['rack:a'])
      expect((await store.notes('keystone:')).get('keystone:user:u1')).to.deep.equal({deletedAt: '2026-11-22T06:00:00.000Z'})
      expect((await store.get(['listen-watermark:server:s1'])).get('listen-watermark:server:s1')).to.deep.equal({deleted: false, version: 3})
    })

    it('an entry that is JSON but not an object is left out with a warning, not fatal; the rest is read and written as usual', async () => {
      await store.close()
      const made = makeStore()
      store = made.store
      const warnings: string[] = []
      store.onWarning = (message) => warnings.push(message)
      await made.plant({'device:a': 'null', 'device:b': '[1,2]', 'device:c': '5', 'device:d': '"text"', 'rack:ok': '{"hash":"h"}'})
      const snap = await store.load()
      expect([...snap.entries.keys()]).to.deep.equal(['rack:ok'])
      expect(warnings).to.have.length(1)
      expect(warnings[0]).to.match(/4 malformed entries left out \(device:a, device:b, device:c, device:d\)/)
      expect((await store.get(['device:a', 'rack:ok'])).size).to.equal(1)
      await store.apply({put: {'device:a': {hash: 'new'}}})
      expect(Object.fromEntries((await store.load()).entries)).to.deep.equal({'device:a': {hash: 'new'}, 'rack:ok': {hash: 'h'}})
    })
  })
}

describe('view store: redis specifics', () => {
  before(async function () {
    await requireService(this, 'Redis', REDIS_URL)
  })

  it('a watermark is its own key with a TTL set in the same step as the advance; it never moves back', async () => {
    const prefix = `test-${randomUUID()}:`
    const store = new RedisViewStore(REDIS_URL, prefix, {keystoneMs: 60_000, watermarkMs: 30_000})
    const redis = new Redis(REDIS_URL)
    try {
      await store.advanceMark('listen-watermark:server:s1', {deleted: false, version: 1_733_000_000_123_456})
      await store.advanceMark('listen-watermark:server:s1', {deleted: false, version: 5})
      const key = `${prefix}view:note:listen-watermark:server:s1`
      expect(await redis.get(key)).to.equal('{"deleted":false,"version":1733000000123456}')
      expect(await redis.pttl(key)).to.be.within(1, 30_000)
      expect(await redis.hlen(`${prefix}view:entries`)).to.equal(0)
      await store.apply({put: {'keystone:user:u1': {deletedAt: 'x'}}})
      expect(await redis.pttl(`${prefix}view:note:keystone:user:u1`)).to.be.within(30_001, 60_000)
    } finally {
      await store.close()
      await redis.quit()
    }
  })

  it('a stored value that is not JSON is left out with a warning and removed', async () => {
    const prefix = `test-${randomUUID()}:`
    const store = new RedisViewStore(REDIS_URL, prefix)
    const warnings: string[] = []
    store.onWarning = (message) => warnings.push(message)
    const redis = new Redis(REDIS_URL)
    try {
      await redis.hset(`${prefix}view:entries`, {'device:x': '{not json', 'rack:a': '{}'})
      expect([...(await store.get(['device:x', 'rack:a'])).keys()]).to.deep.equal(['rack:a'])
      expect([...(await store.load()).entries.keys()]).to.deep.equal(['rack:a'])
      expect(warnings.join('\n')).to.contain('device:x')
      expect(await redis.hexists(`${prefix}view:entries`, 'device:x')).to.equal(0)
    } finally {
      await store.close()
      await redis.quit()
    }
  })
})

describe('view store: file specifics', () => {
  it('writes atomically (no temporary file left) with mode 0600', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    const store = new FileViewStore(join(dir, 'view.json'))
    await store.apply({put: {a: {b: 1}}})
    const {readdirSync, statSync} = await import('node:fs')
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([])
    expect(statSync(join(dir, 'view.json')).mode & 0o777).to.equal(0o600)
    expect(JSON.parse(readFileSync(join(dir, 'view.json'), 'utf8')).entries).to.deep.equal({a: {b: 1}})
  })

  it('a symlink planted where a temporary file could be is never followed (the temporary file is new, O_EXCL, unguessable)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    const victim = join(dir, 'victim')
    writeFileSync(victim, 'keep me')
    // The name the store used to write through: <view>.<pid>.tmp.
    symlinkSync(victim, join(dir, `view.json.${process.pid}.tmp`))
    const store = new FileViewStore(join(dir, 'view.json'))
    await store.apply({put: {a: {b: 1}}})
    expect(readFileSync(victim, 'utf8')).to.equal('keep me')
    expect(JSON.parse(readFileSync(join(dir, 'view.json'), 'utf8')).entries).to.deep.equal({a: {b: 1}})
  })

  it('another writer\'s change on disk is seen by a store that had read the file before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    const a = new FileViewStore(join(dir, 'view.json'))
    const b = new FileViewStore(join(dir, 'view.json'))
    await a.apply({put: {x: {v: 1}}})
    expect((await a.get(['x'])).get('x')).to.deep.equal({v: 1})
    await b.apply({put: {x: {v: 2}, y: {v: 3}}})
    expect((await a.get(['x', 'y'])).get('x')).to.deep.equal({v: 2})
    await a.apply({remove: ['y']})
    expect([...(await b.load()).entries.keys()]).to.deep.equal(['x'])
  })

  it('concurrent changes are committed together, and each resolves only once on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    const store = new FileViewStore(join(dir, 'view.json'))
    const {statSync} = await import('node:fs')
    let inodes = 0
    let last = -1n
    const applies = Array.from({length: 40}, async (_, i) => {
      await store.apply({put: {[`k${i}`]: {i}}})
      // When it resolves, its entry is in the file on disk.
      const onDisk = JSON.parse(readFileSync(join(dir, 'view.json'), 'utf8')) as {entries: Record<string, unknown>}
      expect(onDisk.entries[`k${i}`]).to.deep.equal({i})
      const ino = statSync(join(dir, 'view.json'), {bigint: true}).ino
      if (ino !== last) {
        inodes++
        last = ino
      }
    })
    await Promise.all(applies)
    // Each write renames a new file into place (a new inode): far fewer writes than changes.
    expect(inodes).to.be.below(40)
  })

  it('reads racing its own writes never parse the file again (the stamp always describes the text read)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    const store = new FileViewStore(join(dir, 'view.json'))
    const seed: Record<string, {i: number; pad: string}> = {}
    for (let i = 0; i < 2000; i++) seed[`device:${i}`] = {i, pad: 'x'.repeat(200)}
    await store.apply({put: seed})
    const before = store.parses
    // Readers and writers interleaved, as `listen` does: every get must come from memory.
    let writing = true
    const readers = Array.from({length: 8}, async () => {
      while (writing) await store.get(['device:0'])
    })
    for (let round = 0; round < 20; round++) {
      await Promise.all(
        Array.from({length: 3}, async (_, j) => {
          const i = round * 3 + j
          await store.apply({put: {[`device:${i}`]: {i, pad: 'y'}}})
          expect((await store.get([`device:${i}`])).get(`device:${i}`)).to.deep.equal({i, pad: 'y'})
        }),
      )
    }
    writing = false
    await Promise.all(readers)
    expect(store.parses - before).to.equal(0)
    // What is on disk is every entry, the changed ones as changed.
    const onDisk = JSON.parse(readFileSync(join(dir, 'view.json'), 'utf8')) as {entries: Record<string, {pad: string}>}
    expect(Object.keys(onDisk.entries)).to.have.length(2000)
    expect(onDisk.entries['device:1'].pad).to.equal('y')
    expect(onDisk.entries['device:1999'].pad).to.have.length(200)
  })

  it('a change is seen by get and load before it is on disk, and close waits until it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    const store = new FileViewStore(join(dir, 'view.json'))
    await store.apply({put: {a: {v: 1}, b: {v: 1}}, values: {x: 1}})
    const first = store.apply({put: {a: {v: 2}}})
    const second = store.apply({remove: ['b'], values: {x: null}})
    const third = store.apply({put: {b: {v: 3}}})
    expect(Object.fromEntries(await store.get(['a', 'b', 'c']))).to.deep.equal({a: {v: 2}, b: {v: 3}})
    const snap = await store.load()
    expect(Object.fromEntries(snap.entries)).to.deep.equal({a: {v: 2}, b: {v: 3}})
    expect(snap.values).to.deep.equal({})
    let closed = false
    const closing = store.close().then(() => {
      closed = true
    })
    await Promise.all([first, second, third])
    await closing
    expect(closed).to.equal(true)
    expect(JSON.parse(readFileSync(join(dir, 'view.json'), 'utf8'))).to.deep.include({entries: {a: {v: 2}, b: {v: 3}}, values: {}})
  })

  it('close waits for the changes still queued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    const store = new FileViewStore(join(dir, 'view.json'))
    const pending = Array.from({length: 30}, async (_, i) => store.apply({put: {[`k${i}`]: {i}}}))
    await store.close()
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'view.json'), 'utf8')).entries)).to.have.length(30)
    await Promise.all(pending)
  })

  it('a corrupt file is treated as an empty cache, not a fatal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    writeFileSync(join(dir, 'view.json'), '{"entries": {"a": ')
    const store = new FileViewStore(join(dir, 'view.json'))
    expect((await store.load()).entries.size).to.equal(0)
    await store.apply({put: {a: {ok: true}}})
    expect((await store.load()).entries.get('a')).to.deep.equal({ok: true})
  })

  it('a failed write (a full disk) leaves no temporary file behind, and says what to do', async function () {
    this.timeout(60_000)
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-full-'))
    try {
      // A 16 KiB file system: the view below does not fit, its write fails with ENOSPC.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir], {stdio: 'ignore'})
    } catch {
      console.warn('      (skipped: mounting a tiny tmpfs is not allowed here)')
      this.skip()
    }
    try {
      const store = new FileViewStore(join(dir, 'view.json'))
      const error = await failure(store.apply({put: {a: {b: 'x'.repeat(256 * 1024)}}}), AppError)
      expect(error.message).to.match(/cannot write the view store .*view\.json .*ENOSPC/)
      expect(error.hint).to.match(/disk .* is full/)
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([])
    } finally {
      execFileSync('umount', [dir])
    }
  })

  it('a read-only directory fails the first write at once (no lock retries), naming the path and what to do', async function () {
    this.timeout(60_000)
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-ro-'))
    // Root writes through permission bits: a read-only mount is what stops it.
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dir], {stdio: 'ignore'})
    } catch {
      // Skipped where this process may not mount (a container without CAP_SYS_ADMIN): a read-only
      // directory cannot be made otherwise for root, which writes through permission bits.
      console.warn('      (skipped: mounting a read-only tmpfs is not allowed here)')
      this.skip()
    }
    try {
      const store = new FileViewStore(join(dir, 'view.json'))
      const started = Date.now()
      const error = await failure(store.apply({put: {a: {}}}), AppError)
      expect(Date.now() - started, 'ms before the error').to.be.below(2000)
      expect(error.message).to.match(new RegExp(`cannot write the view store ${dir}/view\\.json .*EROFS`))
      expect(error.hint).to.match(/read-only or not writable by this user: make it writable, or set store\.path/)
    } finally {
      execFileSync('umount', [dir])
    }
  })

  it('the file is the view\'s JSON after many grouped changes, puts, removals and notes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cos-store-')), 'view.json')
    const store = new FileViewStore(path)
    const expected: Record<string, unknown> = {}
    const writes: Array<Promise<void>> = []
    for (let i = 0; i < 200; i++) {
      const put = {[`device:${i % 50}`]: {n: i, status: i % 2 === 0 ? 'ACTIVE' : 'STOPPED'}, [`listen-watermark:server:${i % 7}`]: {deleted: false, version: i}}
      const remove = i % 10 === 9 ? [`device:${(i + 1) % 50}`] : []
      writes.push(store.apply({put, remove, values: {i}}))
      for (const k of remove) delete expected[k]
      expected[`device:${i % 50}`] = put[`device:${i % 50}`]
    }
    await Promise.all(writes)
    const text = readFileSync(path, 'utf8')
    const onDisk = JSON.parse(text) as {entries: Record<string, unknown>; notes: Record<string, {entry: unknown}>; values: unknown}
    expect(text).to.equal(JSON.stringify(onDisk))
    expect(onDisk.entries).to.deep.equal(expected)
    expect(onDisk.values).to.deep.equal({i: 199})
    expect(onDisk.notes['listen-watermark:server:3'].entry).to.deep.equal({deleted: false, version: 199 - ((199 - 3) % 7)})
    expect(Object.fromEntries((await new FileViewStore(path).load()).entries)).to.deep.equal(expected)
  })

  it('changes that arrive during a write are written together 200 ms after it (at most five writes a second), a lone change at once', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cos-store-')), 'view.json')
    const store = new FileViewStore(path)
    const onDisk = () => Object.keys((JSON.parse(readFileSync(path, 'utf8')) as {entries: object}).entries)
    const clock = sinon.useFakeTimers({toFake: ['setTimeout', 'clearTimeout']})
    try {
      // No timer runs before the first write: it is at once.
      await store.apply({put: {a: {n: 1}}})
      const first = store.apply({put: {b: {n: 2}}})
      const later = [store.apply({put: {c: {n: 3}}}), store.apply({put: {d: {n: 4}}})]
      await first
      let written = false
      void Promise.all(later).then(() => {
        written = true
      })
      // The next write waits for its timer (the lock's own timers were cleared when it was released)…
      expect(clock.countTimers()).to.equal(1)
      await clock.tickAsync(WRITE_INTERVAL_MS - 1)
      // …which has not run 1 ms before its time: nothing more was written, nor started.
      expect(clock.countTimers()).to.equal(1)
      expect(written).to.equal(false)
      expect(onDisk()).to.deep.equal(['a', 'b'])
      await clock.tickAsync(1)
      await Promise.all(later)
      expect(onDisk()).to.deep.equal(['a', 'b', 'c', 'd'])
    } finally {
      clock.restore()
    }
  })

  it('a directory removed between two writes is made again (the file went with it: the view is what is written next)', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cos-store-')), 'sub')
    const store = new FileViewStore(join(dir, 'view.json'))
    await store.apply({put: {a: {n: 1}}})
    rmSync(dir, {force: true, recursive: true})
    await store.apply({put: {b: {n: 2}}})
    expect(JSON.parse(readFileSync(join(dir, 'view.json'), 'utf8')).entries).to.deep.equal({b: {n: 2}})
  })

  it('an unwritable location gives a clear error with a hint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-store-'))
    writeFileSync(join(dir, 'a-file'), '')
    const store = new FileViewStore(join(dir, 'a-file', 'view.json'))
    try {
      await store.apply({put: {a: {}}})
      expect.fail('should have thrown')
    } catch (error) {
      expect((error as Error).message).to.match(/cannot create the directory of the view store .*a-file\/view\.json/)
    }
  })
})
