/**
 * Heat stacks with nested stacks (a ResourceGroup's or AutoScalingGroup's members): one rack per
 * top-level stack whatever stack an event names, scaling shown, nothing placed stand-alone while
 * Heat builds, and a device found in the wrong rack made again in the right one.
 */
import {expect} from 'chai'

import {createConcertim} from '../../../src/lib/concertim/index.js'
import type {Simulator} from '../../../src/sim/index.js'
import {devicesByInstance, expectedMembers, racksByStack, startSyncWorld, type SyncWorld} from './support.js'

/** The Concertim rack ids of each device of a cloud object. */
function racksOf(sim: Simulator, cloudId: string): string[] {
  return (devicesByInstance(sim).get(cloudId) ?? []).map((id) => sim.concertim.rackOfDevice(sim.concertim.devices.get(id) as never)?.id ?? '(none)')
}

/** A project linked to a Concertim team (one of the seeded stacks'). */
function linkedProject(w: SyncWorld): string {
  const [stackId] = [...expectedMembers(w.sim).keys()].sort()
  return w.sim.world.stacks.get(stackId)?.projectId ?? ''
}

function nestedOf(w: SyncWorld, topId: string): string {
  const nested = w.sim.world.stacks.all().find((s) => s.parentId === topId)
  if (nested === undefined) throw new Error(`stack ${topId} has no nested stack`)
  return nested.id
}

describe('Heat nested stacks', function () {
  this.timeout(60_000)
  let w: SyncWorld | undefined

  afterEach(async () => {
    await w?.stop()
    w = undefined
  })

  it("a nested stack's event reconciles its top-level stack: no rack of its own, no duplicate device", async () => {
    w = await startSyncWorld()
    await w.sync()
    const top = w.sim.changes.createStack({group: true, name: 'grouped', projectId: linkedProject(w), servers: 2})
    const nested = nestedOf(w, top.id)
    const out = await w.reconcile({id: nested, kind: 'stack'})
    expect(out.results.every((r) => r.ok)).to.equal(true)
    expect(racksByStack(w.sim).has(nested), 'no rack for the nested stack').to.equal(false)
    const rack = racksByStack(w.sim).get(top.id) ?? []
    expect(rack).to.have.length(1)
    for (const id of expectedMembers(w.sim).get(top.id)?.servers ?? []) expect(racksOf(w.sim, id), id).to.deep.equal(rack)
    // The top-level stack's own event and a sync agree.
    expect((await w.reconcile({id: top.id, kind: 'stack'})).irrelevant).to.equal(true)
    expect((await w.sync()).writes).to.equal(0)
  })

  it('a stack reconcile finds a device of its server in a rack it does not read (the full look lists every device): never a duplicate', async () => {
    w = await startSyncWorld()
    await w.sync()
    const [other] = [...expectedMembers(w.sim).keys()].sort()
    const stack = w.sim.changes.createStack({name: 'late', projectId: linkedProject(w), servers: 1})
    const [serverId] = expectedMembers(w.sim).get(stack.id)?.servers ?? []
    // A device for that server already exists, in another stack's rack (as a wrong placement once left it).
    const concertim = createConcertim(w.config.concertim).api
    const server = w.sim.world.servers.get(serverId)
    const template = [...w.sim.concertim.templates.values()].find((t) => t.foreign_id === server?.flavorId)
    const otherRack = racksByStack(w.sim).get(other)?.[0] ?? ''
    await concertim.createDevice({details: {}, location: {facing: 'f', rack_id: otherRack, start_u: 30}, metadata: {openstack_instance_id: serverId, openstack_stack_id: other}, name: 'early-copy', status: 'ACTIVE', template_id: template?.id ?? '', type: 'Instance'})

    const out = await w.reconcile({id: stack.id, kind: 'stack'})
    expect(out.results.every((r) => r.ok), JSON.stringify(out.results)).to.equal(true)
    const rack = racksByStack(w.sim).get(stack.id) ?? []
    expect(racksOf(w.sim, serverId), 'one device, in its own stack rack').to.deep.equal(rack)
    expect((await w.sync()).writes).to.equal(0)
  })

  it("a scaling signal (only the group's nested stack updated) shows the new servers: the server's event and sync", async () => {
    w = await startSyncWorld()
    const top = w.sim.changes.createStack({group: true, name: 'asg', projectId: linkedProject(w), servers: 1})
    await w.sync()
    const before = w.sim.world.stacks.get(top.id)
    const [first, second] = w.sim.changes.scaleGroup(top.id, 2)
    expect(w.sim.world.stacks.get(top.id)?.updatedAt, "the top-level stack's updated_time does not move").to.equal(before?.updatedAt)
    const rack = racksByStack(w.sim).get(top.id) ?? []

    // listen: the new server's own event.
    const out = await w.reconcile({id: first.id, kind: 'server'})
    expect(out.results.every((r) => r.ok), JSON.stringify(out.results)).to.equal(true)
    expect(racksOf(w.sim, first.id)).to.deep.equal(rack)
    // sync: the other one.
    await w.sync()
    expect(racksOf(w.sim, second.id)).to.deep.equal(rack)
    expect((await w.sync()).writes).to.equal(0)
  })

  it('team_rack: nothing is placed stand-alone while Heat builds; resources read while in progress are read again', async () => {
    w = await startSyncWorld({extra: {sync: {standalone_servers: 'team_rack'}}})
    const project = linkedProject(w)
    const top = w.sim.changes.createStack({group: true, name: 'building', projectId: project, servers: 1})
    await w.sync()
    const rack = racksByStack(w.sim).get(top.id) ?? []
    // Heat is scaling (the nested stack UPDATE_IN_PROGRESS); nova made a server Heat does not list yet.
    const [listed] = w.sim.changes.scaleGroup(top.id, 1, {finish: false})
    const early = w.sim.changes.createServer({name: 'building-node-3', projectId: project})
    await w.sync()
    expect(racksOf(w.sim, listed.id)).to.deep.equal(rack)
    expect(racksOf(w.sim, early.id), 'not placed stand-alone while a stack of its project is in progress').to.deep.equal([])

    // Heat lists it now; its stacks' update times and statuses are what they were (still in progress).
    const nested = w.sim.world.stacks.get(nestedOf(w, top.id))
    nested?.resources.push({createdAt: w.sim.world.now(), name: '2', physicalId: early.id, requiredBy: [], status: 'CREATE_COMPLETE', statusReason: 'state changed', type: 'OS::Nova::Server', updatedAt: w.sim.world.now()})
    await w.sync()
    expect(racksOf(w.sim, early.id), 'in its stack rack').to.deep.equal(rack)

    w.sim.changes.finishScaling(top.id)
    await w.sync()
    expect((await w.sync()).writes).to.equal(0)
    expect(racksOf(w.sim, early.id)).to.deep.equal(rack)
  })

  it('team_rack: a stack server whose device is in the stand-alone rack is made again in its stack rack, the misplaced one deleted', async () => {
    w = await startSyncWorld({extra: {sync: {standalone_servers: 'team_rack'}}})
    const project = linkedProject(w)
    const lone = w.sim.changes.createServer({name: 'lone', projectId: project})
    await w.sync()
    const [standalone] = racksOf(w.sim, lone.id)
    const sim = w.sim
    const [stackId] = [...expectedMembers(sim).keys()].filter((id) => sim.world.stacks.get(id)?.projectId === project).sort()
    const [serverId] = expectedMembers(w.sim).get(stackId)?.servers ?? []
    const rack = racksByStack(w.sim).get(stackId) ?? []
    // As a server created mid-way used to be placed: its device in the team's stand-alone rack.
    const concertim = createConcertim(w.config.concertim).api
    const [deviceId] = devicesByInstance(w.sim).get(serverId) ?? []
    const device = await concertim.device(deviceId)
    await concertim.deleteDevice(deviceId)
    await concertim.createDevice({details: {}, location: {facing: 'f', rack_id: standalone, start_u: 20}, metadata: {...device?.metadata}, name: 'misplaced', status: 'ACTIVE', template_id: device?.template_id ?? '', type: 'Instance'})
    expect(racksOf(w.sim, serverId)).to.deep.equal([standalone])

    const run = await w.sync()
    expect(run.results.every((r) => r.ok), JSON.stringify(run.results)).to.equal(true)
    expect(racksOf(w.sim, serverId), 'one device, in its stack rack').to.deep.equal(rack)
    expect(racksOf(w.sim, lone.id), 'the stand-alone server stays').to.deep.equal([standalone])
    expect((await w.sync()).writes).to.equal(0)
  })
})
