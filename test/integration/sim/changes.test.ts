import {expect} from 'chai'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import type {WorldChange} from '../../../src/sim/world.js'
import {getJson, login, type Session} from '../../support/openstack-client.js'

describe('simulator changes', () => {
  let sim: Simulator
  let admin: Session
  let events: WorldChange[]

  before(async () => {
    sim = await startSimulator({preset: 'small'})
    admin = await login(sim)
    sim.world.events.on('change', (e) => events.push(e))
  })
  beforeEach(() => {
    events = []
  })
  after(async () => sim.stop())

  it('stopping a server changes the API view and emits before/after with names and flavor', async () => {
    const server = sim.world.servers.all().find((s) => s.vmState === 'active')
    if (server === undefined) throw new Error('no active server')
    sim.changes.stopServer(server.id)
    const {body} = await getJson(`${sim.endpoints.nova}/v2.1/servers/${server.id}`, admin.token)
    const view = (body as {server: Record<string, unknown>}).server
    expect(view.status).to.equal('SHUTOFF')
    expect(view['OS-EXT-STS:power_state']).to.equal(4)
    expect(events).to.have.length(1)
    const e = events[0]
    expect(e.kind).to.equal('server')
    if (e.kind !== 'server') throw new Error('kind')
    expect(e.action).to.equal('power_off')
    expect(e.before?.vmState).to.equal('active')
    expect(e.after?.vmState).to.equal('stopped')
    expect(e.transitionalTaskState).to.equal('powering-off')
    expect(e.flavor.id).to.equal(server.flavorId)
    expect(e.projectName).to.match(/^CM_/)
    expect(e.userName).to.match(/^CM_/)
    expect(e.requestId).to.match(/^req-/)
  })

  it('deleting a server: 404 on GET, DELETED in changes-since, a delete event', async () => {
    const server = sim.world.servers.all()[0]
    sim.changes.deleteServer(server.id)
    expect((await getJson(`${sim.endpoints.nova}/v2.1/servers/${server.id}`, admin.token)).status).to.equal(404)
    const since = new Date(Date.now() - 60_000).toISOString()
    const {body} = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1&changes-since=${since}`, admin.token)
    const listed = (body as {servers: {id: string; status: string}[]}).servers.find((s) => s.id === server.id)
    expect(listed?.status).to.equal('DELETED')
    expect(events.map((e) => `${e.kind}:${e.action}`)).to.deep.equal(['server:delete'])
  })

  it('creating a stack creates its servers, volumes and network with events, and Heat lists its resources', async () => {
    const team = sim.cloud.teams[1]
    const stack = sim.changes.createStack({group: true, name: 'burst', network: true, projectId: team.projectId, servers: 3, volumes: 1})
    expect(events.map((e) => `${e.kind}:${e.action}`)).to.deep.equal(['network:create', 'server:create', 'server:create', 'server:create', 'volume:create', 'stack:create'])
    const stackEvent = events.at(-1)
    if (stackEvent?.kind !== 'stack') throw new Error('no stack event')
    expect(stackEvent.before?.status).to.equal('CREATE_IN_PROGRESS')
    expect(stackEvent.after?.status).to.equal('CREATE_COMPLETE')
    const res = await getJson(`${sim.endpoints.heat}/v1/${admin.projectId}/stacks/burst/${stack.id}/resources?nested_depth=2`, admin.token)
    const resources = (res.body as {resources: {parent_resource?: string; resource_type: string}[]}).resources
    expect(resources.filter((r) => r.resource_type === 'OS::Nova::Server' && r.parent_resource === 'nodes')).to.have.length(3)
    events = []
    sim.changes.deleteStack(stack.id)
    expect(events.filter((e) => e.kind === 'server' && e.action === 'delete')).to.have.length(3)
    expect(events.at(-1)?.kind).to.equal('stack')
    expect(sim.world.stacks.get(stack.id)).to.equal(undefined)
  })

  it('failing and updating stacks, attaching volumes and updating networks emit their events', () => {
    const stack = sim.world.stacks.all().find((s) => s.parentId === null && s.status === 'CREATE_COMPLETE')
    if (stack === undefined) throw new Error('no stack')
    sim.changes.updateStack(stack.id, {addServers: 1})
    expect(sim.world.stacks.get(stack.id)?.status).to.equal('UPDATE_COMPLETE')
    sim.changes.failStack(stack.id, 'boom')
    expect(sim.world.stacks.get(stack.id)?.status).to.equal('UPDATE_FAILED')
    const server = sim.world.servers.all()[0]
    const volume = sim.changes.createVolume({name: 'scratch', projectId: server.projectId, size: 5})
    sim.changes.attachVolume(volume.id, server.id)
    expect(sim.world.volumes.get(volume.id)?.status).to.equal('in-use')
    const net = sim.world.networks.all()[0]
    const revision = net.revisionNumber
    sim.changes.updateNetwork(net.id, {name: 'renamed'})
    expect(sim.world.networks.get(net.id)?.revisionNumber).to.equal(revision + 1)
    expect(events.map((e) => `${e.kind}:${e.action}`)).to.deep.equal(['server:create', 'stack:update', 'stack:error', 'volume:create', 'server:attach', 'volume:attach', 'network:update'])
  })
})
