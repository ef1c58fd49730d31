/**
 * The Concertim and MRD clients against the simulated Concertim app and MRD (src/sim/concertim),
 * which follow reference/concertim-api.md. Where the two disagree, the reference decides.
 */
import {expect} from 'chai'

import {type Concertim, ConcertimValidationError, createConcertim, type Device, deviceIdsOf} from '../../../src/lib/concertim/index.js'
import {CallLedger, HttpError} from '../../../src/lib/http/index.js'
import {clearSecrets} from '../../../src/lib/output/redact.js'
import {createConcertimApp, type ConcertimApp} from '../../../src/sim/concertim/app.js'
import {createMrdApp} from '../../../src/sim/concertim/mrd.js'
import {ConcertimState, type TeamRecord} from '../../../src/sim/concertim/state.js'
import {Faults} from '../../../src/sim/faults.js'
import {listen, type RunningServer} from '../../../src/sim/http-app.js'
import {failure} from '../../support/failure.js'

const JWT_SECRET = 'integration-secret-0123456789abcdef'
const fast = {deadlineMs: 10_000, maxInFlightPerHost: 8, maxRetryDelayMs: 100, retries: 2, retryBaseMs: 5, timeoutMs: 5000}

describe('Concertim clients against the simulator (integration)', () => {
  // Its clients register the password 'admin' as a secret: forget it, or every later message
  // in this process has the word 'admin' masked.
  after(() => clearSecrets())
  let clock: number
  let state: ConcertimState
  let app: ConcertimApp
  let faults: Faults
  let appServer: RunningServer
  let mrdServer: RunningServer
  let ledger: CallLedger
  let concertim: Concertim
  let team: TeamRecord

  beforeEach(async () => {
    clock = Date.parse('2024-05-20T12:00:00Z')
    state = new ConcertimState({now: () => clock})
    team = state.addTeam({billing_acct_id: 'kb-1', name: 'alice_team', project_id: 'p1'})
    faults = new Faults()
    app = createConcertimApp(state, {deletionDelayMs: 1, faults, jwtSecret: JWT_SECRET})
    appServer = await listen(app.listener())
    mrdServer = await listen(createMrdApp(state, {dsmThrottleMs: 0, jwtSecret: JWT_SECRET, processingStepMs: 10}).listener())
    ledger = new CallLedger()
    concertim = createConcertim(
      {concertim_password: 'admin', concertim_url: appServer.url, concertim_username: 'admin', mrd_url: `${mrdServer.url}/mrd`},
      {ledger, settings: fast},
    )
  })

  afterEach(async () => {
    await state.settleJobs()
    await appServer.close()
    await mrdServer.close()
  })

  async function populatedRack(): Promise<{devices: Device[]; rackId: string}> {
    const api = concertim.api
    const flavor = await api.createTemplate({description: 'm1.small', disk: 10, foreign_id: 'flavor-1', height: 2, name: 'm1.small', ram: 2048, vcpus: 2})
    const templates = await api.templates()
    const net = templates.find((t) => t.tag === 'network')
    const vol = templates.find((t) => t.tag === 'volume')
    expect(net, 'seeded network template').to.not.equal(undefined)
    expect(vol, 'seeded volume template').to.not.equal(undefined)
    const rack = await api.createRack({
      metadata: {openstack_stack_id: 'stack-1', openstack_stack_owner: 'CM_alice'},
      name: 'stack-1',
      order_id: 'sub-1',
      status: 'ACTIVE',
      team_id: team.id,
      u_height: 42,
    })
    const instance = await api.createDevice({
      description: 'server',
      details: {login_user: 'ubuntu', private_ips: '10.0.0.5', public_ips: '', ssh_key: 'key-1', volume_details: {}},
      location: {rack_id: rack.id, start_u: 1},
      metadata: {openstack_instance_id: 'srv-1', openstack_stack_id: 'stack-1'},
      name: 'srv-1',
      status: 'ACTIVE',
      template_id: flavor.id,
      type: 'Instance',
    })
    const network = await api.createDevice({
      details: {admin_state_up: true, l2_adjacency: false, mtu: 1500, port_security_enabled: true, shared: false},
      location: {facing: 'f', rack_id: rack.id, start_u: 42},
      metadata: {openstack_instance_id: 'net-1', openstack_stack_id: 'stack-1'},
      name: 'net-1',
      status: 'ACTIVE',
      template_id: (net as {id: string}).id,
      type: 'Network',
    })
    const volume = await api.createDevice({
      details: {availability_zone: 'nova', bootable: false, encrypted: false, size: 2, volume_type: '__DEFAULT__'},
      location: {rack_id: rack.id, start_u: 3},
      metadata: {openstack_instance_id: 'vol-1', openstack_stack_id: 'stack-1'},
      name: 'vol-1',
      status: 'AVAILABLE',
      template_id: (vol as {id: string}).id,
      type: 'Volume',
    })
    return {devices: [instance, network, volume], rackId: rack.id}
  }

  it('logs in and lists users, teams and templates with the reference shapes', async () => {
    const users = await concertim.api.users()
    const admin = users.find((u) => u.login === 'admin')
    expect(admin?.root).to.equal(true)
    expect(admin && 'cloud_user_id' in admin).to.equal(false)
    const me = await concertim.api.currentUser()
    expect(me.login).to.equal('admin')
    const teams = await concertim.api.teams()
    expect(teams.find((t) => t.id === team.id)).to.deep.include({billing_acct_id: 'kb-1', name: 'alice_team', project_id: 'p1'})
    const tags = (await concertim.api.templates()).map((t) => t.tag)
    expect(tags).to.include.members(['network', 'volume'])
    expect(tags).not.to.include('rack')
    expect(ledger.bySystem().concertim.writes).to.equal(0)
  })

  it('creates a rack and devices of each type; reads them back as typed records', async () => {
    const {devices, rackId} = await populatedRack()
    const [instance, network, volume] = devices
    expect(instance.type).to.equal('Instance')
    expect(instance.template?.name).to.equal('m1.small')
    expect(instance.location).to.deep.include({end_u: 2, facing: 'f', rack_id: rackId, start_u: 1, type: 'rack'})
    expect(instance.details).to.deep.include({login_user: 'ubuntu', private_ips: '10.0.0.5', ssh_key: 'key-1'})
    expect(network.type === 'Network' && network.details.mtu).to.equal(1500)
    expect(volume.type === 'Volume' && volume.details.size).to.equal(2)
    expect(volume.location.end_u).to.equal(4)

    const rack = await concertim.api.rack(rackId)
    expect(rack?.order_id).to.equal('sub-1')
    expect(rack?.metadata).to.deep.equal({openstack_stack_id: 'stack-1', openstack_stack_owner: 'CM_alice'})
    expect(rack?.owner.id).to.equal(team.id)
    expect(rack?.cost).to.equal('0.00')
    // top of the rack first
    expect(rack?.devices?.map((d) => d.name)).to.deep.equal(['net-1', 'vol-1', 'srv-1'])
    expect(rack?.devices?.[0].template_id).to.be.a('string')

    const listed = await concertim.api.devices()
    expect(listed.map((d) => d.id)).to.have.members(devices.map((d) => d.id))
    expect(listed.every((d) => d.template === undefined && typeof d.template_id === 'string')).to.equal(true)
    const again = await concertim.api.device(instance.id)
    expect(again?.template?.foreign_id).to.equal('flavor-1')

    expect(deviceIdsOf(await concertim.api.dataSourceMap())).to.have.all.keys(devices.map((d) => d.id))
  })

  it('updates: rack (metadata replaced), device (partial, moved), team money, user cloud id', async () => {
    const {devices, rackId} = await populatedRack()
    const rack = await concertim.api.updateRack(rackId, {cost: 12.5, metadata: {openstack_stack_id: 'stack-1'}, status: 'STOPPED'})
    expect(rack).to.deep.include({cost: '12.50', status: 'STOPPED'})
    expect(rack.metadata).to.deep.equal({openstack_stack_id: 'stack-1'})

    const moved = await concertim.api.moveDevice(devices[0].id, {facing: 'f', start_u: 10})
    expect(moved.location).to.deep.include({end_u: 11, start_u: 10})
    const updated = await concertim.api.updateDevice(devices[0].id, {cost: '3.10', details: {ssh_key: 'key-2'}, status: 'STOPPED'})
    expect(updated).to.deep.include({cost: '3.10', status: 'STOPPED'})
    expect(updated.type === 'Instance' && updated.details).to.deep.include({login_user: 'ubuntu', ssh_key: 'key-2'})

    const t = await concertim.api.updateTeam(team.id, {billing_period_end: '2024-06-01', billing_period_start: '2024-05-01', cost: 12, credits: '25.5'})
    expect(t).to.deep.include({billing_period_end: '2024-06-01', billing_period_start: '2024-05-01'})
    expect(Number(t.cost)).to.equal(12)
    expect(Number(t.credits)).to.equal(25.5)
    expect(await concertim.api.team(team.id)).to.deep.equal(t)

    const alice = state.addUser({email: 'alice@example.com', login: 'alice', name: 'Alice', password: 'secret1'})
    const u = await concertim.api.updateUser(alice.id, {cloud_user_id: 'os-user-1'})
    expect(u.cloud_user_id).to.equal('os-user-1')
  })

  it('422s become field messages, whatever the endpoint shape', async () => {
    const {devices, rackId} = await populatedRack()
    // racks: {"attr":["msg"]}
    const dup = await failure(concertim.api.createRack({name: 'stack-1', order_id: 'sub-2', status: 'ACTIVE', team_id: team.id}), ConcertimValidationError)
    expect(dup.fields.name).to.deep.equal(['has already been taken'])
    // nodes: {"attr":[{"error":…}]}
    const flavor = (await concertim.api.templates()).find((t) => t.name === 'm1.small') as {id: string}
    const occupied = await failure(
      concertim.api.createDevice({details: {}, location: {rack_id: rackId, start_u: 1}, name: 'srv-2', status: 'ACTIVE', template_id: flavor.id, type: 'Instance'}),
      ConcertimValidationError,
    )
    expect(occupied.fields.start_u).to.include('is occupied')
    // devices update: {"errors":{"attr":["msg"]}}
    const bad = await failure(concertim.api.updateDevice(devices[0].id, {name: 'bad name'}), ConcertimValidationError)
    expect(bad.fields.name).to.deep.equal(['can contain only alphanumeric characters, dots and hyphens.'])
    // rack delete conflict: {"errors":"rack is not empty"}
    const notEmpty = await failure(concertim.api.deleteRack(rackId), ConcertimValidationError)
    expect(notEmpty.fields).to.deep.equal({base: ['rack is not empty']})
    // teams: {"attr":["msg"]}
    const period = await failure(concertim.api.updateTeam(team.id, {billing_period_start: '2024-05-01'}), ConcertimValidationError)
    expect(period.fields.billing_period).to.deep.equal(['must have a start date and end date, or neither'])
  })

  it('deletes: recurse for a non-empty rack; gone records read as null and delete as false', async () => {
    const {devices, rackId} = await populatedRack()
    expect(await concertim.api.deleteDevice(devices[2].id)).to.equal(true)
    expect(await concertim.api.device(devices[2].id)).to.equal(null)
    expect(await concertim.api.deleteDevice(devices[2].id)).to.equal(false)
    expect(await concertim.api.deleteRack(rackId, {recurse: true})).to.equal(true)
    expect(await concertim.api.rack(rackId)).to.equal(null)
    expect(await concertim.api.deleteRack(rackId, {recurse: true})).to.equal(false)
    expect(await concertim.api.device(devices[0].id)).to.equal(null)
  })

  it('a revoked token: re-login and repeat once, transparently', async () => {
    await concertim.api.racks()
    app.sessions.revokeAll(state.root.id)
    expect(await concertim.api.racks()).to.deep.equal([])
    const logins = ledger.summary.filter((r) => r.system === 'concertim' && r.method === 'POST').reduce((n, r) => n + r.count, 0)
    expect(logins).to.equal(2)
  })

  it('an expired token (24 h later): renewed once for many concurrent requests', async () => {
    await concertim.api.racks()
    clock += 86_401_000
    await Promise.all([concertim.api.racks(), concertim.api.devices(), concertim.api.teams(), concertim.api.templates()])
    const logins = ledger.summary.filter((r) => r.system === 'concertim' && r.method === 'POST').reduce((n, r) => n + r.count, 0)
    expect(logins).to.equal(2)
  })

  it('tokens that stay refused: one retry, then the 401', async () => {
    await concertim.api.racks()
    faults.set('concertim', {expireTokens: true})
    const err = await failure(concertim.api.racks(), HttpError)
    expect(err.status).to.equal(401)
    expect(err.serverMessage).to.equal('Signature has expired')
  })

  it('wrong credentials: ConcertimAuthError', async () => {
    const bad = createConcertim({concertim_password: 'nope', concertim_url: appServer.url, concertim_username: 'admin'}, {settings: fast})
    const err = await failure(bad.api.racks(), Error)
    expect(err.name).to.equal('ConcertimAuthError')
    expect(err.message).to.contain('Invalid Login or password.')
  })

  it('MRD: pushes metrics with the app token; unknown device and invalid metric are results', async () => {
    const {devices} = await populatedRack()
    const ok = await concertim.mrd.putMetric(devices[0].id, {name: 'cpu_load', slope: 'both', ttl: 3600, type: 'double', units: '%', value: 12.34})
    expect(ok).to.deep.equal({status: 'ok'})
    expect(state.metrics.received.at(-1)).to.deep.include({deviceId: devices[0].id, name: 'cpu_load'})

    const unknown = await concertim.mrd.putMetric('00000000-0000-4000-8000-000000000000', {name: 'cpu_load', slope: 'both', ttl: 3600, type: 'double', units: '%', value: 1})
    expect(unknown.status).to.equal('unknown-device')

    const invalid = await concertim.mrd.putMetric(devices[0].id, {name: ' ', slope: 'both', ttl: 0, type: 'int32', units: '<b>', value: 1.5})
    expect(invalid.status).to.equal('invalid')
    if (invalid.status === 'invalid') {
      expect(invalid.problems.map((p) => p.field)).to.include.members(['name', 'units', 'ttl', 'value'])
      expect(invalid.problems.map((p) => p.message)).to.include('ttl is a required field')
    }
  })

  it('MRD: a token renewed by the app client after expiry', async () => {
    const {devices} = await populatedRack()
    await concertim.mrd.putMetric(devices[0].id, {name: 'ram_usage', slope: 'both', ttl: 60, type: 'double', units: '%', value: 50})
    clock += 86_401_000
    expect(await concertim.mrd.putMetric(devices[0].id, {name: 'ram_usage', slope: 'both', ttl: 60, type: 'double', units: '%', value: 51})).to.deep.equal({status: 'ok'})
  })

  it('dry-run: reads work, writes are refused before they leave', async () => {
    const dry = createConcertim({concertim_password: 'admin', concertim_url: appServer.url, concertim_username: 'admin'}, {dryRun: true, ledger, settings: fast})
    expect(await dry.api.racks()).to.deep.equal([])
    const err = await failure(dry.api.createRack({order_id: 'x', status: 'ACTIVE', team_id: team.id}), HttpError)
    expect(err.kind).to.equal('dry-run')
    expect(state.racks.size).to.equal(0)
    expect(ledger.bySystem().concertim.writes).to.equal(0)
  })
})
