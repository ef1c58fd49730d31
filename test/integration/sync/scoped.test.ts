/**
 * `ReconcileEngine.reconcile(scope)` (what `listen` calls): one entity observed and reconciled, with
 * nothing outside its scope touched; and the redis view store for sync.
 */
import {expect} from 'chai'
import {Redis} from 'ioredis'

import {RedisViewStore} from '../../../src/lib/store/index.js'
import {REDIS_URL, requireService} from '../../support/services.js'
import {devicesByInstance, expectedMembers, racksByStack, startSyncWorld, type SyncWorld} from './support.js'

describe('reconcile one entity (for listen)', function () {
  this.timeout(60_000)
  let w: SyncWorld
  let stackId: string
  let serverId: string

  beforeEach(async () => {
    w = await startSyncWorld()
    await w.sync()
    const members = expectedMembers(w.sim)
    ;[stackId] = [...members.keys()].sort()
    serverId = members.get(stackId)?.servers[0] ?? ''
    w.sim.changes.startServer(serverId)
    await w.sync()
  })
  afterEach(async () => {
    await w.stop()
  })

  it('a server stopped: one write; the same event again is irrelevant', async () => {
    w.sim.changes.stopServer(serverId)
    // Another server changes too: outside the scope, it is left for its own event.
    const other = expectedMembers(w.sim).get(stackId)?.servers.find((id) => id !== serverId)
    if (other !== undefined) w.sim.changes.errorServer(other)
    const out = await w.reconcile({id: serverId, kind: 'server'})
    expect(out.actions.map((a) => `${a.kind} ${a.key}`)).to.deep.equal([`update device:${serverId}`])
    expect(out.writes).to.equal(1)
    expect(out.applied).to.equal(true)
    expect(out.irrelevant).to.equal(false)
    expect(out.ledger.summary.filter((r) => r.system === 'heat').reduce((n, r) => n + r.count, 0), 'the owner stack is read, not all stacks').to.be.at.most(4)
    const again = await w.reconcile({id: serverId, kind: 'server'})
    expect(again.irrelevant).to.equal(true)
    expect(again.writes).to.equal(0)
  })

  it('a server deleted: its device is deleted (the GET said 404), nothing else', async () => {
    const before = w.sim.concertim.devices.size
    w.sim.changes.deleteServer(serverId)
    const out = await w.reconcile({id: serverId, kind: 'server'})
    expect(out.results.filter((r) => r.kind === 'delete' && r.ok).map((r) => r.key)).to.deep.equal([`device:${serverId}`])
    expect(w.sim.concertim.devices.size).to.equal(before - 1)
    expect(out.plan.actions.every((a) => a.kind !== 'delete' || a.key === `device:${serverId}`)).to.equal(true)
  })

  it('a server event without the view store still makes no duplicate', async () => {
    const {rmSync} = await import('node:fs')
    rmSync(w.storePath)
    w.sim.changes.stopServer(serverId)
    const out = await w.reconcile({id: serverId, kind: 'server'})
    expect(out.actions.map((a) => `${a.kind} ${a.key}`)).to.deep.equal([`update device:${serverId}`])
    expect(devicesByInstance(w.sim).get(serverId)).to.have.length(1)
  })

  it('a new stack: its rack and devices are created; deleted: the rack goes', async () => {
    const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
    const stack = w.sim.changes.createStack({name: 'event-stack', network: true, projectId: project, servers: 2, volumes: 1})
    const out = await w.reconcile({id: stack.id, kind: 'stack'})
    expect(out.actions.map((a) => `${a.kind} ${a.object}`).sort()).to.deep.equal(['create device', 'create device', 'create device', 'create device', 'create rack'])
    expect(out.results.every((r) => r.ok)).to.equal(true)
    expect((await w.reconcile({id: stack.id, kind: 'stack'})).irrelevant).to.equal(true)
    // A full sync agrees.
    expect((await w.sync()).writes).to.equal(0)

    w.sim.changes.deleteStack(stack.id)
    const gone = await w.reconcile({id: stack.id, kind: 'stack'})
    expect(gone.results.map((r) => `${r.kind} ${r.key} ${r.ok}`)).to.deep.equal([`delete rack:${stack.id} true`])
    expect(racksByStack(w.sim).has(stack.id)).to.equal(false)
    expect((await w.sync()).writes).to.equal(0)
  })

  it('a volume of a stack deleted, a project reconciled', async () => {
    const volumeId = expectedMembers(w.sim).get(stackId)?.volumes[0]
    if (volumeId !== undefined) {
      w.sim.changes.deleteVolume(volumeId)
      const out = await w.reconcile({id: volumeId, kind: 'volume'})
      expect(out.results.filter((r) => r.kind === 'delete').map((r) => r.key)).to.deep.equal([`device:${volumeId}`])
    }
    const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
    w.sim.changes.stopServer(serverId)
    const out = await w.reconcile({id: project, kind: 'project'})
    expect(out.actions.filter((a) => a.key === `device:${serverId}`)).to.have.length(1)
    expect(out.results.every((r) => r.ok)).to.equal(true)
    expect((await w.sync()).writes).to.equal(0)
  })
})

describe('sync with the redis view store', function () {
  this.timeout(60_000)
  let w: SyncWorld | undefined
  const prefix = `concertim-os-test-sync-${process.pid}-${Date.now()}:`

  before(async function () {
    await requireService(this, 'Redis', REDIS_URL)
  })
  after(async () => {
    await w?.stop()
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  it('first sync records the view in redis; the second writes nothing; losing it makes no duplicate', async () => {
    w = await startSyncWorld({extra: {store: {key_prefix: prefix, type: 'redis', url: REDIS_URL}}})
    const first = await w.sync()
    expect(first.writes).to.be.greaterThan(0)
    const store = new RedisViewStore(REDIS_URL, prefix)
    const snapshot = await store.load()
    await store.close()
    const devices = [...snapshot.entries.keys()].filter((k) => k.startsWith('device:'))
    expect(devices).to.have.length(w.sim.concertim.devices.size)
    expect(typeof snapshot.values.lastCompleteSync).to.equal('string')
    const second = await w.sync()
    expect(second.writes).to.equal(0)
    expect(second.stacksRead).to.equal(0)

    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}*`)
    await redis.del(...keys)
    await redis.quit()
    const lost = await w.sync()
    expect(lost.writes).to.equal(0)
    for (const [id, ids] of devicesByInstance(w.sim)) expect(ids, id).to.have.length(1)
  })
})
