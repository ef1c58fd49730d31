/**
 * The caches a long-lived engine (listen's) keeps between scoped reconciles — Concertim's teams and
 * templates, Nova's flavors, the owning stack as last read — save reads, never cause a duplicate when
 * another engine (sync) created a template or rack meanwhile, and give way to a full look whenever
 * the plan would do more than update the entity's device.
 */
import {expect} from 'chai'

import {decodeBody, interpret} from '../../../src/lib/events/index.js'
import {CallLedger} from '../../../src/lib/http/index.js'
import type {PayloadEntity} from '../../../src/lib/reconcile/observe/index.js'
import type {ReconcileEngine} from '../../../src/lib/reconcile/engine.js'
import {createReconcileEngine} from '../../../src/lib/runtime/reconcile-engine.js'
import type {ViewStore} from '../../../src/lib/store/types.js'
import {DEFAULT_EXCHANGES, notificationsFor} from '../../../src/sim/notifications/events.js'
import {encodeBody, wireMessage} from '../../../src/sim/notifications/oslo.js'
import type {WorldChange} from '../../../src/sim/world.js'
import {devicesByInstance, expectedMembers, racksByStack, startSyncWorld, type SyncWorld} from './support.js'

const callsOf = (ledger: CallLedger): Record<string, number> => Object.fromEntries(Object.entries(ledger.bySystem()).map(([k, v]) => [k, v.calls]))
const concertimGets = (ledger: CallLedger): number => ledger.summary.filter((r) => r.system === 'concertim' && r.method === 'GET').reduce((n, r) => n + r.count, 0)

describe('a long-lived engine caches Concertim teams and templates', function () {
  this.timeout(60_000)
  let w: SyncWorld
  let engine: ReconcileEngine
  let store: ViewStore
  let ledger: CallLedger
  let stackId: string
  let servers: string[]

  beforeEach(async () => {
    w = await startSyncWorld()
    await w.sync()
    const members = expectedMembers(w.sim)
    ;[stackId] = [...members.keys()].sort()
    servers = members.get(stackId)?.servers ?? []
    ledger = new CallLedger()
    ;({engine, store} = createReconcileEngine(w.config, {ledger, settings: {retries: 0, retryBaseMs: 10}}))
  })
  afterEach(async () => {
    await store.close()
    await w.stop()
  })

  it('a device update with the cache reads one rack, not every team, template and rack', async () => {
    expect(servers.length).to.be.at.least(2)
    w.sim.changes.stopServer(servers[0])
    const first = await engine.reconcile({id: servers[0], kind: 'server'})
    expect(first.actions.map((a) => `${a.kind} ${a.key}`)).to.deep.equal([`update device:${servers[0]}`])
    const before = concertimGets(ledger)
    w.sim.changes.stopServer(servers[1])
    const second = await engine.reconcile({id: servers[1], kind: 'server'})
    expect(second.actions.map((a) => `${a.kind} ${a.key}`)).to.deep.equal([`update device:${servers[1]}`])
    expect(second.results.every((r) => r.ok)).to.equal(true)
    expect(concertimGets(ledger) - before, 'only the rack of the server').to.equal(1)
    // A full sync agrees with what was written.
    expect((await w.sync()).writes).to.equal(0)
  })

  it('a stack member\'s update with warm caches: the server, its rack and the write — no Heat, no flavor listing, no Kill Bill', async () => {
    w.sim.changes.stopServer(servers[0])
    await engine.reconcile({id: servers[0], kind: 'server'})
    const rackView = (await store.get([`rack:${stackId}`])).get(`rack:${stackId}`)
    const before = callsOf(ledger)
    w.sim.changes.stopServer(servers[1])
    const out = await engine.reconcile({id: servers[1], kind: 'server'})
    expect(out.actions.map((a) => `${a.kind} ${a.key}`)).to.deep.equal([`update device:${servers[1]}`])
    expect(out.results.every((r) => r.ok)).to.equal(true)
    const after = callsOf(ledger)
    const delta = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]).filter(([, n]) => n !== 0))
    expect(delta).to.deep.equal({concertim: 2, nova: 1})
    expect(w.sim.concertim.devices.get(devicesByInstance(w.sim).get(servers[1])?.[0] ?? '')?.status).to.equal('STOPPED')
    // What was not read is not rewritten in the view (the rack's order id and its source stay as they were).
    expect((await store.get([`rack:${stackId}`])).get(`rack:${stackId}`)).to.deep.equal(rackView)
    expect((await w.sync()).writes).to.equal(0)
  })

  it('the rack changed by hand meanwhile: a member\'s update looks in full and repairs it', async () => {
    w.sim.changes.stopServer(servers[0])
    await engine.reconcile({id: servers[0], kind: 'server'})
    const rackId = racksByStack(w.sim).get(stackId)?.[0] ?? ''
    const rack = w.sim.concertim.racks.get(rackId)
    if (rack === undefined) throw new Error('no rack')
    const status = rack.status
    rack.status = status === 'ACTIVE' ? 'STOPPED' : 'ACTIVE'
    const heatBefore = callsOf(ledger).heat ?? 0
    w.sim.changes.stopServer(servers[1])
    const out = await engine.reconcile({id: servers[1], kind: 'server'})
    expect(out.actions.map((a) => `${a.kind} ${a.object}`).sort()).to.deep.equal(['update device', 'update rack'])
    expect(out.results.every((r) => r.ok)).to.equal(true)
    expect(w.sim.concertim.racks.get(rackId)?.status).to.equal(status)
    expect((callsOf(ledger).heat ?? 0) - heatBefore, 'the owning stack was read').to.be.at.least(2)
  })

  it('a server resized to a flavor the cached ones lack: the flavors are listed again', async () => {
    w.sim.changes.stopServer(servers[0])
    await engine.reconcile({id: servers[0], kind: 'server'})
    const model = w.sim.world.flavors.all()[0]
    const flavor = w.sim.world.flavors.put({...model, id: 'cache-miss-flavor', name: 'cache.miss'})
    w.sim.changes.resizeServer(servers[1], flavor.id)
    const out = await engine.reconcile({id: servers[1], kind: 'server'})
    expect(out.results.every((r) => r.ok)).to.equal(true)
    expect(out.actions.map((a) => `${a.kind} ${a.object}`)).to.include('create template')
    expect([...w.sim.concertim.templates.values()].filter((t) => t.foreign_id === flavor.id)).to.have.length(1)
    expect((await w.sync()).writes).to.equal(0)
  })

  /** Make a change and return the state its newest notification carries (versioned nova, cinder), as listen reads it off the wire. */
  const payloadOf = (act: () => void): PayloadEntity => {
    const changes: WorldChange[] = []
    const record = (c: WorldChange) => changes.push(c)
    w.sim.world.events.on('change', record)
    act()
    w.sim.world.events.off('change', record)
    const sent = changes.flatMap((c) => notificationsFor(w.sim.world, c, {exchanges: DEFAULT_EXCHANGES, format: 'versioned', glanceUrl: 'http://127.0.0.1:9292'}))
    const decoded = decodeBody(encodeBody(wireMessage(sent.at(-1) ?? expect.fail('no notification')), 'v2'))
    if (!decoded.ok) throw new Error(decoded.reason)
    const i = interpret(decoded.message)
    if (i.kind !== 'entity' || i.state === undefined || i.state.deleted || (i.state.kind !== 'server' && i.state.kind !== 'volume')) throw new Error(`no state in ${JSON.stringify(i)}`)
    return i.state.kind === 'server' ? {kind: 'server', record: i.state.record, unknown: i.state.unknown} : {kind: 'volume', record: i.state.record, unknown: i.state.unknown}
  }

  it('a member\'s notification carrying its state: no Nova call, its floating IPs kept from the device', async () => {
    w.sim.changes.stopServer(servers[0])
    await engine.reconcile({id: servers[0], kind: 'server'})
    expect(w.sim.world.servers.get(servers[1])?.addresses.some((a) => a.type === 'floating'), 'the server has a floating IP').to.equal(true)
    const deviceId = devicesByInstance(w.sim).get(servers[1])?.[0] ?? ''
    const detailsBefore = w.sim.concertim.devices.get(deviceId)?.details
    const payload = payloadOf(() => w.sim.changes.stopServer(servers[1]))
    expect(payload.unknown).to.include('floatingIps')
    const before = callsOf(ledger)
    const out = await engine.reconcile({id: servers[1], kind: 'server'}, {payload})
    expect(out.actions.map((a) => `${a.kind} ${a.key}`)).to.deep.equal([`update device:${servers[1]}`])
    const after = callsOf(ledger)
    expect((after.nova ?? 0) - (before.nova ?? 0), 'no Nova call').to.equal(0)
    expect(after.concertim - before.concertim).to.equal(2)
    const device = w.sim.concertim.devices.get(deviceId)
    expect(device?.status).to.equal('STOPPED')
    expect(device?.details.public_ips).to.deep.equal(detailsBefore?.public_ips)
    expect((await w.sync()).writes, 'a full sync agrees').to.equal(0)
  })

  it('a member volume\'s notification carrying its state: no Cinder call, what the payload lacks kept from the device', async () => {
    w.sim.changes.stopServer(servers[0])
    await engine.reconcile({id: servers[0], kind: 'server'})
    const members = expectedMembers(w.sim).get(stackId)
    const volumeId = members?.volumes[0] ?? expect.fail('the stack has no volume')
    const attached = w.sim.world.volumes.get(volumeId)?.attachments.length ?? 0
    const act = () => (attached > 0 ? w.sim.changes.detachVolume(volumeId, w.sim.world.volumes.get(volumeId)?.attachments[0]?.serverId ?? '') : w.sim.changes.attachVolume(volumeId, servers[0]))
    const payload = payloadOf(act)
    expect(payload.kind).to.equal('volume')
    const deviceId = devicesByInstance(w.sim).get(volumeId)?.[0] ?? ''
    const before = callsOf(ledger)
    const out = await engine.reconcile({id: volumeId, kind: 'volume'}, {payload})
    expect(out.results.filter((r) => !r.ok)).to.deep.equal([])
    const after = callsOf(ledger)
    expect((after.cinder ?? 0) - (before.cinder ?? 0), 'no Cinder call').to.equal(0)
    expect(after.concertim - before.concertim).to.be.at.most(2)
    expect(w.sim.concertim.devices.get(deviceId)?.details).to.include.keys('volume_type', 'bootable', 'encrypted')
    // A full sync agrees about the volume; all it still does is update a server's device (its list of
    // volumes is the business of the server's own notification).
    const synced = await w.sync()
    expect(synced.actions.filter((a) => a.object !== 'device' || a.kind !== 'update').map((a) => `${a.kind} ${a.key}`)).to.deep.equal([])
    expect(synced.actions.some((a) => a.key === `device:${volumeId}`)).to.equal(false)
  })

  it('a notification about a server Concertim does not show yet: the server is read, and its device created', async () => {
    w.sim.changes.stopServer(servers[0])
    await engine.reconcile({id: servers[0], kind: 'server'})
    const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
    const stack = w.sim.changes.createStack({name: 'payload-stack', projectId: project, servers: 1})
    const serverId = expectedMembers(w.sim).get(stack.id)?.servers[0] ?? ''
    await engine.reconcile({id: stack.id, kind: 'stack'})
    const deviceId = devicesByInstance(w.sim).get(serverId)?.[0]
    if (deviceId !== undefined) w.sim.concertim.removeDevice(deviceId)
    const payload = payloadOf(() => w.sim.changes.stopServer(serverId))
    const before = callsOf(ledger).nova ?? 0
    const out = await engine.reconcile({id: serverId, kind: 'server'}, {payload})
    expect(out.results.filter((r) => !r.ok)).to.deep.equal([])
    expect((callsOf(ledger).nova ?? 0) - before, 'the server was read').to.be.at.least(1)
    expect(devicesByInstance(w.sim).get(serverId)).to.have.length(1)
  })

  it('sync creating a template and a rack meanwhile: the cached engine creates no duplicate', async () => {
    // The cache is filled.
    w.sim.changes.stopServer(servers[0])
    await engine.reconcile({id: servers[0], kind: 'server'})

    // A new flavor and a new stack with a server of it; sync (another engine) creates the template and the rack.
    const model = w.sim.world.flavors.all()[0]
    const flavor = w.sim.world.flavors.put({...model, id: 'cache-test-flavor', name: 'cache.test'})
    const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
    const stack = w.sim.changes.createStack({name: 'cache-stack', projectId: project, servers: 1})
    const serverId = expectedMembers(w.sim).get(stack.id)?.servers[0] ?? ''
    w.sim.changes.resizeServer(serverId, flavor.id)
    const templatesBefore = w.sim.concertim.templates.size
    const synced = await w.sync()
    expect(synced.results.filter((r) => r.kind === 'create' && r.ok).map((r) => r.object).sort()).to.include.members(['device', 'rack', 'template'])
    expect(w.sim.concertim.templates.size).to.equal(templatesBefore + 1)

    // The cached engine now sees events of the new server and stack: its cache knows neither the template nor the rack.
    w.sim.changes.stopServer(serverId)
    const out = await engine.reconcile({id: serverId, kind: 'server'})
    expect(out.actions.filter((a) => a.kind === 'create'), 'no create').to.deep.equal([])
    expect(out.actions.map((a) => `${a.kind} ${a.key}`)).to.deep.equal([`update device:${serverId}`])
    expect((await engine.reconcile({id: stack.id, kind: 'stack'})).actions.filter((a) => a.kind === 'create')).to.deep.equal([])

    expect(w.sim.concertim.templates.size).to.equal(templatesBefore + 1)
    expect([...w.sim.concertim.templates.values()].filter((t) => t.foreign_id === flavor.id)).to.have.length(1)
    expect(racksByStack(w.sim).get(stack.id)).to.have.length(1)
    for (const [id, ids] of devicesByInstance(w.sim)) expect(ids, id).to.have.length(1)
    expect((await w.sync()).writes).to.equal(0)
  })

  it('the view store lost under a cached engine: a new stack still makes no duplicate rack', async () => {
    w.sim.changes.stopServer(servers[0])
    await engine.reconcile({id: servers[0], kind: 'server'})
    const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
    const stack = w.sim.changes.createStack({name: 'cache-stack-2', projectId: project, servers: 2})
    await w.sync()
    const {rmSync} = await import('node:fs')
    rmSync(w.storePath)
    const serverId = expectedMembers(w.sim).get(stack.id)?.servers[0] ?? ''
    w.sim.changes.stopServer(serverId)
    const out = await engine.reconcile({id: serverId, kind: 'server'})
    expect(out.actions.filter((a) => a.kind === 'create')).to.deep.equal([])
    expect(racksByStack(w.sim).get(stack.id)).to.have.length(1)
    for (const [id, ids] of devicesByInstance(w.sim)) expect(ids, id).to.have.length(1)
  })
})
