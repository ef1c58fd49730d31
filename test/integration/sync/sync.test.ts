/**
 * `sync` against the simulator: first sync, no-change sync, every kind of cloud change converging in
 * one sync with only the writes it needs, and the view store being lost.
 */
import {expect} from 'chai'
import {existsSync, rmSync} from 'node:fs'

import type {Action} from '../../../src/lib/model/plan.js'
import {devicesByInstance, expectedMembers, racksByStack, startSyncWorld, type SyncWorld, writesOf} from './support.js'

function kinds(actions: readonly Action[]): string[] {
  return actions.map((a) => `${a.kind} ${a.object}`).sort()
}

describe('sync (engine against the simulator)', function () {
  this.timeout(60_000)
  let w: SyncWorld

  beforeEach(async () => {
    w = await startSyncWorld()
  })
  afterEach(async () => {
    await w.stop()
  })

  it('first sync from an empty Concertim creates exactly the templates, racks and devices of the cloud; the second writes nothing', async () => {
    expect(w.sim.concertim.racks.size).to.equal(0)
    const first = await w.sync()
    expect(first.problems).to.deep.equal([])
    expect(first.results.filter((r) => !r.ok)).to.deep.equal([])

    // Templates: one per flavor, by foreign id.
    const flavors = w.sim.world.flavors.all()
    const templates = [...w.sim.concertim.templates.values()].filter((t) => t.foreign_id !== null)
    expect(templates.map((t) => t.foreign_id).sort()).to.deep.equal(flavors.map((f) => f.id).sort())
    for (const t of templates) {
      const f = flavors.find((x) => x.id === t.foreign_id)
      expect(t.height).to.equal(Math.min(Math.floor((f?.vcpus ?? 0) / 2) + 1, 4))
    }

    // Racks: one per stack, in the team of its project.
    const members = expectedMembers(w.sim)
    const racks = racksByStack(w.sim)
    expect([...racks.keys()].sort()).to.deep.equal([...members.keys()].sort())
    for (const [stackId, ids] of racks) {
      expect(ids, `racks of ${stackId}`).to.have.length(1)
      const rack = w.sim.concertim.racks.get(ids[0])
      const stack = w.sim.world.stacks.get(stackId)
      expect(w.sim.concertim.teams.get(rack?.team_id ?? '')?.project_id).to.equal(stack?.projectId)
    }

    // Devices: one per server, volume and network of a stack, in its stack's rack, validly placed.
    const devices = devicesByInstance(w.sim)
    let expected = 0
    for (const [stackId, m] of members) {
      const rackId = racks.get(stackId)?.[0]
      for (const [ids, type] of [[m.servers, 'Instance'], [m.volumes, 'Volume'], [m.networks, 'Network']] as const) {
        for (const id of ids) {
          expected++
          expect(devices.get(id), `device of ${id}`).to.have.length(1)
          const d = w.sim.concertim.devices.get(devices.get(id)?.[0] ?? '')
          expect(d?.type).to.equal(type)
          expect(w.sim.concertim.rackOfDevice(d as never)?.id).to.equal(rackId)
        }
      }
    }
    expect(w.sim.concertim.devices.size).to.equal(expected)
    for (const rack of w.sim.concertim.racks.values()) {
      const used = new Set<number>()
      for (const p of w.sim.concertim.devicesOfRack(rack.id)) {
        expect(p.location.start_u).to.be.at.least(1)
        expect(p.location.end_u).to.be.at.most(rack.u_height)
        for (let u = p.location.start_u; u <= p.location.end_u; u++) {
          expect(used.has(u), `U${u} of rack ${rack.name} used twice`).to.equal(false)
          used.add(u)
        }
      }
    }
    expect(first.writes).to.equal(flavors.length + racks.size + expected)

    const second = await w.sync()
    expect(second.plan.actions, writesOf(second.ledger)).to.deep.equal([])
    expect(second.writes).to.equal(0)
    expect(second.stacksRead, 'no stack changed: none is read again').to.equal(0)
  })

  describe('each cloud change converges in one sync with only the writes it needs', () => {
    let serverId: string
    let stackId: string

    beforeEach(async () => {
      await w.sync()
      const members = expectedMembers(w.sim)
      ;[stackId] = [...members.keys()].sort()
      serverId = members.get(stackId)?.servers[0] ?? ''
      // Make the server's state known: running.
      w.sim.changes.startServer(serverId)
      await w.sync()
    })

    const once = async (expectedKinds: string[]) => {
      const run = await w.sync()
      expect(run.results.filter((r) => !r.ok), 'failures').to.deep.equal([])
      expect(kinds(run.actions), writesOf(run.ledger)).to.deep.equal(expectedKinds.sort())
      expect(run.writes).to.equal(expectedKinds.length)
      const again = await w.sync()
      expect(again.writes, `not converged: ${JSON.stringify(again.actions.map((a) => a.reason))}`).to.equal(0)
      return run
    }
    const statusOf = (cloudId: string) => w.sim.concertim.devices.get(devicesByInstance(w.sim).get(cloudId)?.[0] ?? '')?.status

    it('server stopped, started, suspended, errored', async () => {
      w.sim.changes.stopServer(serverId)
      await once(['update device'])
      expect(statusOf(serverId)).to.equal('STOPPED')
      w.sim.changes.startServer(serverId)
      await once(['update device'])
      expect(statusOf(serverId)).to.equal('ACTIVE')
      w.sim.changes.suspendServer(serverId)
      await once(['update device'])
      expect(statusOf(serverId)).to.equal('SUSPENDED')
      w.sim.changes.errorServer(serverId)
      await once(['update device'])
      expect(statusOf(serverId)).to.equal('FAILED')
    })

    it('server resized: no write (Concertim cannot change a device template), and the plan says so', async () => {
      const server = w.sim.world.servers.get(serverId)
      const other = w.sim.world.flavors.all().find((f) => f.id !== server?.flavorId)
      w.sim.changes.resizeServer(serverId, other?.id ?? '')
      const run = await once([])
      expect(run.plan.notices.map((n) => n.message).join('\n')).to.match(/cannot change a device's template/)
    })

    it('server deleted: its device is deleted after a direct GET says 404 (and the volumes it had show as detached)', async () => {
      const attached = w.sim.world.volumes.all().filter((v) => v.attachments.some((a) => a.serverId === serverId))
      w.sim.changes.deleteServer(serverId)
      const run = await once(['delete device', ...attached.map(() => 'update device')])
      expect(run.actions.filter((a) => a.kind === 'update').map((a) => a.cloudId).sort()).to.deep.equal(attached.map((v) => v.id).sort())
      expect(run.confirmations).to.deep.equal({asked: 1, exists: 0, gone: 1})
      expect(devicesByInstance(w.sim).has(serverId)).to.equal(false)
    })

    it('stack added, updated, deleted', async () => {
      const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
      const stack = w.sim.changes.createStack({name: 'new-stack', network: true, projectId: project, servers: 2, volumes: 1})
      await once(['create rack', 'create device', 'create device', 'create device', 'create device'])
      expect(racksByStack(w.sim).get(stack.id)).to.have.length(1)

      w.sim.changes.updateStack(stack.id, {addServers: 1})
      const run = await w.sync()
      expect(run.results.filter((r) => !r.ok)).to.deep.equal([])
      const creates = run.actions.filter((a) => a.kind === 'create')
      expect(kinds(creates)).to.deep.equal(['create device'])
      // The rack may be updated too (status, outputs), nothing else.
      expect(run.actions.filter((a) => a.kind !== 'create').every((a) => a.kind === 'update' && a.object === 'rack')).to.equal(true)
      expect((await w.sync()).writes).to.equal(0)

      w.sim.changes.deleteStack(stack.id)
      await once(['delete rack'])
      expect(racksByStack(w.sim).has(stack.id)).to.equal(false)
      for (const id of [...devicesByInstance(w.sim).keys()]) expect(w.sim.world.servers.get(id) ?? w.sim.world.volumes.get(id) ?? w.sim.world.networks.get(id), id).to.not.equal(undefined)
    })

    it('volume and network of a stack added and deleted', async () => {
      const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
      const stack = w.sim.changes.createStack({name: 'storage', network: true, projectId: project, servers: 0, volumes: 2})
      await once(['create rack', 'create device', 'create device', 'create device'])
      const m = expectedMembers(w.sim).get(stack.id)
      w.sim.changes.deleteVolume(m?.volumes[0] ?? '')
      await once(['delete device'])
      w.sim.changes.deleteNetwork(m?.networks[0] ?? '')
      await once(['delete device'])
      expect(devicesByInstance(w.sim).has(m?.volumes[0] ?? '')).to.equal(false)
      expect(devicesByInstance(w.sim).has(m?.networks[0] ?? '')).to.equal(false)
      expect(devicesByInstance(w.sim).has(m?.volumes[1] ?? '')).to.equal(true)
    })

    it('a volume or network in no stack is not shown (no write)', async () => {
      const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
      w.sim.changes.createVolume({name: 'loose', projectId: project, size: 1})
      w.sim.changes.createNetwork({name: 'loose-net', projectId: project})
      await once([])
    })
  })

  it('losing the view file makes no duplicate and no write', async () => {
    await w.sync()
    const devices = w.sim.concertim.devices.size
    const racks = w.sim.concertim.racks.size
    expect(existsSync(w.storePath)).to.equal(true)
    rmSync(w.storePath)
    const run = await w.sync()
    expect(run.writes, writesOf(run.ledger)).to.equal(0)
    expect(run.stacksRead, 'without the view every stack is read again').to.be.greaterThan(0)
    expect(w.sim.concertim.devices.size).to.equal(devices)
    expect(w.sim.concertim.racks.size).to.equal(racks)
    expect(existsSync(w.storePath)).to.equal(true)
    expect((await w.sync()).stacksRead).to.equal(0)
  })

  it('--only applies the actions on those objects; the rest follows on the next sync', async () => {
    const templates = await w.sync({only: ['templates']})
    expect(new Set(templates.results.map((r) => r.object))).to.deep.equal(new Set(['template']))
    expect(w.sim.concertim.racks.size).to.equal(0)
    const rest = await w.sync()
    expect(rest.results.some((r) => r.object === 'template')).to.equal(false)
    expect(w.sim.concertim.racks.size).to.be.greaterThan(0)
  })

  it('dry-run writes nothing, not even the view file (asserted by the call ledger)', async () => {
    const run = await w.sync({dryRun: true})
    expect(run.actions.length).to.be.greaterThan(0)
    expect(run.writes).to.equal(0)
    expect(run.ledger.total()).to.be.greaterThan(0)
    expect(w.sim.concertim.racks.size).to.equal(0)
    expect(existsSync(w.storePath)).to.equal(false)
  })
})
