/**
 * Deletion on evidence (issue 10): what the cloud still shows is never deleted, whatever a listing
 * says; one-entity reconciles delete only on a 404 from a token proven to see every project.
 * Against the simulator, with the faults real OpenStack shows (hidden stacks, short pages, a token
 * that lost its admin role).
 */
import {expect} from 'chai'

import type {RoleAssignment} from '../../../src/sim/world.js'
import {devicesByInstance, expectedMembers, racksByStack, startSyncWorld, type SyncWorld} from './support.js'

describe('sync and listen delete on evidence (against the simulator)', function () {
  this.timeout(90_000)
  let w: SyncWorld

  afterEach(async () => {
    await w?.stop()
  })

  it("a stack hidden from Heat's listing whose GET still answers is never deleted, and the listing is reported inconsistent (exit 3)", async () => {
    w = await startSyncWorld()
    await w.sync()
    const [stackId] = [...expectedMembers(w.sim).keys()].sort()
    const members = expectedMembers(w.sim).get(stackId)
    const rackBefore = racksByStack(w.sim).get(stackId)
    expect(rackBefore).to.have.length(1)
    w.sim.faults.set('heat', {hideFromListings: [stackId]})

    for (let run = 1; run <= 3; run++) {
      const r = await w.sync()
      expect(r.results.filter((x) => x.kind === 'delete'), `run ${run}`).to.deep.equal([])
      expect(r.problems.join('\n'), `run ${run}`).to.match(/heat stack listing missed 1 object.*inconsistent/)
      const rack = r.actions.find((a) => a.key === `rack:${stackId}`)
      expect(rack?.blocked?.code, `run ${run}`).to.equal('exists')
    }
    expect(racksByStack(w.sim).get(stackId)).to.deep.equal(rackBefore)
    for (const id of members?.servers ?? []) expect(devicesByInstance(w.sim).get(id), id).to.have.length(1)

    const cli = await w.cli(['sync', '--json'])
    expect(cli.code, cli.stderr).to.equal(3)
    expect((JSON.parse(cli.stdout) as {problems: string[]}).problems.join('\n')).to.match(/inconsistent/)
    expect(racksByStack(w.sim).get(stackId)).to.deep.equal(rackBefore)
  })

  it('a Nova page that silently drops 5 servers deletes none of their devices, run after run', async () => {
    w = await startSyncWorld()
    await w.sync()
    const servers = [...expectedMembers(w.sim).values()].flatMap((m) => m.servers).sort().slice(0, 5)
    expect(servers).to.have.length(5)
    w.sim.faults.set('nova', {hideFromListings: servers})
    for (let run = 1; run <= 3; run++) {
      const r = await w.sync()
      expect(r.results.filter((x) => x.kind === 'delete'), `run ${run}`).to.deep.equal([])
      expect(r.confirmations.exists, `run ${run}`).to.equal(5)
      expect(r.problems.join('\n')).to.match(/nova server listing missed 5 object/)
    }
    for (const id of servers) expect(devicesByInstance(w.sim).get(id), id).to.have.length(1)
    // The view records no miss for them: found is found.
    const view = JSON.parse((await import('node:fs')).readFileSync(w.storePath, 'utf8')) as {entries: Record<string, {misses?: number}>}
    for (const id of servers) expect(view.entries[`device:${id}`]?.misses ?? 0, id).to.equal(0)

    // Once they are really gone, they go at once (a 404 each).
    w.sim.faults.clear('nova')
    for (const id of servers) w.sim.changes.deleteServer(id)
    const gone = await w.sync()
    expect(gone.results.filter((x) => x.kind === 'delete' && x.ok).map((x) => x.key).sort()).to.deep.equal(servers.map((id) => `device:${id}`))
  })

  it('listen: a token that lost its admin role deletes nothing on a 404; with the role back, it deletes', async () => {
    w = await startSyncWorld()
    await w.sync()
    const [stackId] = [...expectedMembers(w.sim).keys()].sort()
    const victim = expectedMembers(w.sim).get(stackId)?.servers[0] ?? ''
    w.sim.changes.deleteServer(victim)
    const openstack = w.config.openstack as unknown as {project_name: string; username: string}
    const user = [...w.sim.world.users.values()].find((u) => u.name === openstack.username)
    const project = [...w.sim.world.projects.values()].find((p) => p.name === openstack.project_name)
    const admin = w.sim.world.roleByName('admin')
    const grant: RoleAssignment = {projectId: project?.id ?? '', roleId: admin?.id ?? '', userId: user?.id ?? ''}
    expect(w.sim.world.rolesOn(grant.userId, grant.projectId).map((r) => r.name)).to.include('admin')
    // It keeps a role on its project (it can still log in), only not admin.
    w.sim.world.assign({...grant, roleId: w.sim.world.roleByName('member')?.id ?? ''})
    w.sim.world.revoke(grant)

    const blind = await w.reconcile({id: victim, kind: 'server'})
    expect(blind.results.filter((r) => r.kind === 'delete')).to.deep.equal([])
    expect(blind.actions.find((a) => a.key === `device:${victim}`)?.blocked?.code).to.equal('visibility')
    expect(devicesByInstance(w.sim).get(victim)).to.have.length(1)
    // A sync with that token cannot list every project: it deletes nothing either.
    const sync = await w.sync()
    expect(sync.results.filter((r) => r.kind === 'delete')).to.deep.equal([])
    expect(sync.problems).to.not.deep.equal([])

    // doctor says so, with the fix.
    const doctor = await w.cli(['doctor', '--json'])
    const row = (JSON.parse(doctor.stdout) as {checks: {check: string; hint?: string; outcome: string}[]}).checks.find((c) => c.check === 'token sees every project')
    expect(row?.outcome, doctor.stdout).to.equal('fail')
    expect(row?.hint).to.match(/openstack role add --user .* admin/)

    w.sim.world.assign(grant)
    const seeing = await w.reconcile({id: victim, kind: 'server'})
    expect(seeing.results.filter((r) => r.kind === 'delete' && r.ok).map((r) => r.key)).to.deep.equal([`device:${victim}`])
  })

  it('listen: a hidden stack is not deleted by its own reconcile (its GET answers)', async () => {
    w = await startSyncWorld()
    await w.sync()
    const [stackId] = [...expectedMembers(w.sim).keys()].sort()
    w.sim.faults.set('heat', {hideFromListings: [stackId]})
    const r = await w.reconcile({id: stackId, kind: 'stack'})
    expect(r.results.filter((x) => x.kind === 'delete')).to.deep.equal([])
    expect(racksByStack(w.sim).get(stackId)).to.have.length(1)
  })
})

describe('a partial read never replaces the view (against the simulator)', function () {
  this.timeout(90_000)
  let w: SyncWorld

  afterEach(async () => {
    await w?.stop()
  })

  const entriesOf = async (path: string): Promise<Record<string, Record<string, unknown>>> =>
    (JSON.parse((await import('node:fs')).readFileSync(path, 'utf8')) as {entries: Record<string, Record<string, unknown>>}).entries

  it('a sync with a wrong OpenStack password keeps every template, rack and device of the view as it was', async () => {
    w = await startSyncWorld()
    await w.sync()
    const before = await entriesOf(w.storePath)
    const objects = (e: Record<string, Record<string, unknown>>) => Object.fromEntries(Object.entries(e).filter(([k]) => /^(template|rack|device):/.test(k)))
    expect(Object.keys(objects(before)).some((k) => k.startsWith('template:'))).to.equal(true)

    const bad = await (await import('../../support/cli.js')).runCli(['sync', '--config', w.configPath], {env: {CONCERTIM_OS_OPENSTACK_PASSWORD: 'wrong'}})
    expect(bad.code, bad.stderr).to.not.equal(0)
    expect(objects(await entriesOf(w.storePath))).to.deep.equal(objects(before))
  })

  it('a sync whose Nova listing fails keeps the devices it could not see as the view had them', async () => {
    w = await startSyncWorld()
    await w.sync()
    const before = await entriesOf(w.storePath)
    w.sim.faults.set('nova', {errorRate: 1, errorStatuses: [503], pathPattern: /servers/})
    const r = await w.sync()
    expect(r.complete).to.equal(false)
    const after = await entriesOf(w.storePath)
    for (const [k, e] of Object.entries(before)) if (k.startsWith('device:') || k.startsWith('template:')) expect(after[k], k).to.deep.equal(e)
  })
})

describe("listen's deletion cap over a time window (against the simulator)", function () {
  this.timeout(90_000)
  let w: SyncWorld

  afterEach(async () => {
    await w?.stop()
  })

  it('one-entity reconciles delete at most listen.max_deletes within the window; the rest wait for sync', async () => {
    w = await startSyncWorld({extra: {listen: {delete_window_s: 600, max_deletes: 2}}})
    await w.sync()
    const servers = [...expectedMembers(w.sim).values()].flatMap((m) => m.servers).sort().slice(0, 3)
    for (const id of servers) w.sim.changes.deleteServer(id)
    const {createReconcileEngine} = await import('../../../src/lib/runtime/reconcile-engine.js')
    const {engine, store} = createReconcileEngine(w.config, {settings: {retries: 0}}, undefined, {listen: true})
    try {
      const outcomes = []
      for (const id of servers) outcomes.push(await engine.reconcile({id, kind: 'server'}))
      expect(outcomes.map((o) => o.results.filter((r) => r.kind === 'delete' && r.ok).length)).to.deep.equal([1, 1, 0])
      expect(outcomes[2].actions.find((a) => a.kind === 'delete')?.blocked?.code).to.equal('cap')
      expect(outcomes[2].problems, 'withheld, not a failure to retry').to.deep.equal([])
    } finally {
      await store.close()
    }
    expect(devicesByInstance(w.sim).has(servers[2])).to.equal(true)
    // sync decides it with a full view
    const s = await w.sync()
    expect(s.results.filter((r) => r.kind === 'delete' && r.ok).map((r) => r.key)).to.deep.equal([`device:${servers[2]}`])
  })
})
