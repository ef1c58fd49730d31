import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {FileViewStore, RedisViewStore, type ViewStore} from '../../../src/lib/store/index.js'
import {REDIS_URL, requireService} from '../../support/services.js'

const kinds: [string, () => ViewStore, ((ctx: Mocha.Context) => Promise<void>) | undefined][] = [
  ['file', () => new FileViewStore(join(mkdtempSync(join(tmpdir(), 'cos-store-')), 'sub', 'view.json')), undefined],
  ['redis', () => new RedisViewStore(REDIS_URL, `test-${randomUUID()}:`), (ctx) => requireService(ctx, 'Redis', REDIS_URL)],
]

for (const [kind, make, needs] of kinds) {
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
  })
}

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
