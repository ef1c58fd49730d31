/**
 * The cache of Concertim's teams and templates a long-lived engine (listen's) keeps between scoped
 * reconciles: it saves reads, and never causes a duplicate when another engine (sync) created a
 * template or rack meanwhile.
 */
import {expect} from 'chai'

import {CallLedger} from '../../../src/lib/http/index.js'
import {createReconcileEngine, type ReconcileEngine} from '../../../src/lib/reconcile/engine.js'
import type {ViewStore} from '../../../src/lib/store/types.js'
import {devicesByInstance, expectedMembers, racksByStack, startSyncWorld, type SyncWorld} from './support.js'

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
