/**
 * Conformance of the simulated Concertim app: reference/concertim-api.md §10 rows 7–10
 * (money formats, device JSON, rack JSON, user JSON).
 */
import {expect} from 'chai'

import {formatBigDecimal, formatCost} from '../../../src/sim/concertim/money.js'
import {ConcertimFixture, instanceDevice} from './concertim-fixture.js'

describe('sim concertim §10.7 money', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start({now: () => Date.parse('2024-05-15T10:00:00Z')})
  })
  after(() => f.stop())

  it("rack and device cost are '%.2f' strings", async () => {
    const device = await f.createDevice(instanceDevice('m1', f.rack.id, 1, {cost: '77.771'}))
    expect(device.cost).to.equal('77.77')
    const rack = await f.call('PATCH', `/api/v1/racks/${f.rack.id}`, {body: {rack: {cost: 12}}})
    expect((rack.body as {cost: string}).cost).to.equal('12.00')
    const list = await f.call('GET', '/api/v1/racks')
    expect((list.body as {cost: string}[])[0].cost).to.equal('12.00')
    expect(formatCost(0)).to.equal('0.00')
    expect(formatCost(0.125)).to.equal('0.12')
    expect(formatCost(0.375)).to.equal('0.38')
    expect(formatCost(2.675)).to.equal('2.67')
  })

  it('team cost and credits are BigDecimal#to_s strings, exact as sent', async () => {
    const before = await f.call('GET', '/api/v1/teams')
    expect((before.body as {cost: string; credits: string}[])[0]).to.include({cost: '0.0', credits: '0.0'})
    const res = await f.call('PATCH', `/api/v1/teams/${f.team.id}`, {
      body: {team: {billing_period_end: '2024-06-01', billing_period_start: '2024/05/01', cost: '12', credits: '100.001'}},
    })
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({
      billing_acct_id: 'kb-1',
      billing_period_end: '2024-06-01',
      billing_period_start: '2024-05-01',
      cost: '12.0',
      credits: '100.001',
      id: f.team.id,
      name: 'alpha',
      project_id: 'proj-1',
    })
    expect(formatBigDecimal('25')).to.equal('25.0')
  })

  it('team money validations', async () => {
    const res = await f.call('PATCH', `/api/v1/teams/${f.team.id}`, {body: {team: {cost: -1}}})
    expect(res.status).to.equal(422)
    expect(res.body).to.deep.equal({cost: ['must be greater than or equal to 0']})
    const dates = await f.call('PATCH', `/api/v1/teams/${f.team.id}`, {body: {team: {billing_period_end: '2024-05-10', billing_period_start: '2024-05-20'}}})
    expect(dates.body).to.deep.equal({
      billing_period_end: ['must be today or later', 'must be greater than 2024-05-20'],
      billing_period_start: ['must be today or earlier'],
    })
  })
})

describe('sim concertim §10.8 device JSON', () => {
  const f = new ConcertimFixture()
  let device: Record<string, unknown>
  before(async () => {
    await f.start()
    device = await f.createDevice(instanceDevice('comp101', f.rack.id, 3, {cost: 1}))
  })
  after(() => f.stop())

  it('the full form (create, show, update) has the template object and flattened details', async () => {
    const show = await f.call('GET', `/api/v1/devices/${String(device.id)}`)
    expect(show.status).to.equal(200)
    const body = show.body as Record<string, unknown>
    expect(body).to.deep.equal(device)
    expect(Object.keys(body)).to.deep.equal([
      'id', 'name', 'description', 'metadata', 'status', 'cost', 'location', 'type', 'template',
      'public_ips', 'private_ips', 'ssh_key', 'login_user', 'volume_details',
    ])
    expect(body.location).to.deep.equal({depth: 2, end_u: 4, facing: 'f', rack_id: f.rack.id, start_u: 3, type: 'rack'})
    expect(body.template).to.deep.equal({
      description: null, disk: 10, foreign_id: 'flavor-small', height: 2, id: f.instanceTemplate.id, name: 'm1.small', ram: 2048, tag: null, vcpus: 1,
    })
    expect(body).to.include({cost: '1.00', login_user: 'ubuntu', private_ips: '10.0.0.5', public_ips: '1.1.1.1', ssh_key: 'abc', type: 'Instance'})
    expect(body).to.not.have.property('details')
    expect(body).to.not.have.property('template_id')
  })

  it('the list form (GET /devices) has template_id instead of template', async () => {
    const list = await f.call('GET', '/api/v1/devices')
    const item = (list.body as Record<string, unknown>[])[0]
    expect(item.template_id).to.equal(f.instanceTemplate.id)
    expect(item).to.not.have.property('template')
    expect(item.public_ips).to.equal('1.1.1.1')
  })

  it('network and volume devices flatten their own details', async () => {
    const net = await f.createDevice(
      {details: {admin_state_up: 'True', mtu: '1500', shared: false, type: 'Device::NetworkDetails'}, location: {facing: 'f', rack_id: f.rack.id, start_u: '10'}, name: 'net1', status: 'ACTIVE', type: 'Network'},
      f.state.templateByTag('network')?.id,
    )
    expect(net).to.include({admin_state_up: true, dns_domain: null, l2_adjacency: null, mtu: 1500, port_security_enabled: null, qos_policy: null, shared: false, type: 'Network'})
    const vol = await f.createDevice(
      {details: {availability_zone: 'nova', bootable: 'False', size: 2, type: 'Device::VolumeDetails', volume_type: '__DEFAULT__'}, location: {facing: 'b', rack_id: f.rack.id, start_u: 6}, name: 'vol1', status: 'AVAILABLE', type: 'Volume'},
      f.state.templateByTag('volume')?.id,
    )
    expect(vol).to.include({availability_zone: 'nova', bootable: false, encrypted: null, read_only: null, size: 2, type: 'Volume', volume_type: '__DEFAULT__'})
    expect(vol.location).to.deep.include({end_u: 7, facing: 'b', start_u: 6})
  })

  it('partial updates keep the other fields; details keys update in place', async () => {
    const res = await f.call('PATCH', `/api/v1/devices/${String(device.id)}`, {body: {device: {details: {ssh_key: 'new-key'}, status: 'STOPPED'}}})
    expect(res.status).to.equal(200)
    expect(res.body).to.include({description: 'This is comp101', login_user: 'ubuntu', ssh_key: 'new-key', status: 'STOPPED'})
  })
})

describe('sim concertim §10.9 rack JSON', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start()
    await f.createDevice(instanceDevice('low', f.rack.id, 1))
    await f.createDevice(instanceDevice('high', f.rack.id, 7))
    await f.createDevice(instanceDevice('mid', f.rack.id, 4))
  })
  after(() => f.stop())

  it('show has owner (team JSON) and devices in list form, top of the rack first', async () => {
    const res = await f.call('GET', `/api/v1/racks/${f.rack.id}`)
    const rack = res.body as Record<string, unknown>
    expect(Object.keys(rack)).to.deep.equal(['id', 'name', 'u_height', 'metadata', 'status', 'cost', 'network_details', 'creation_output', 'order_id', 'owner', 'devices'])
    expect(rack.owner).to.deep.equal({
      billing_acct_id: 'kb-1', billing_period_end: null, billing_period_start: null, cost: '0.0', credits: '0.0', id: f.team.id, name: 'alpha', project_id: 'proj-1',
    })
    const devices = rack.devices as Record<string, unknown>[]
    expect(devices.map((d) => d.name)).to.deep.equal(['high', 'mid', 'low'])
    expect(devices[0]).to.have.property('template_id')
    expect(devices[0]).to.not.have.property('template')
    expect(rack).to.not.have.property('modified_timestamp')
  })

  it('index, create and update have no devices key', async () => {
    const list = await f.call('GET', '/api/v1/racks')
    expect((list.body as object[])[0]).to.not.have.property('devices')
    const created = await f.call('POST', '/api/v1/racks', {body: {rack: {order_id: 'ord-2', status: 'IN_PROGRESS', team_id: f.team.id}}})
    expect(created.status).to.equal(200)
    expect(created.body).to.not.have.property('devices')
    // Defaults: the team's last rack name incremented, its height kept.
    expect(created.body).to.include({cost: '0.00', creation_output: null, name: 'Rack-2', order_id: 'ord-2', status: 'IN_PROGRESS', u_height: 10})
    expect(created.body).to.deep.include({metadata: {}, network_details: {}})
    const updated = await f.call('PATCH', `/api/v1/racks/${f.rack.id}`, {body: {rack: {metadata: {only: 'this'}}}})
    expect(updated.body).to.not.have.property('devices')
    expect((updated.body as {metadata: unknown}).metadata).to.deep.equal({only: 'this'})
  })
})

describe('sim concertim §10.10 user JSON', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start({deletionDelayMs: 100})
  })
  after(() => f.stop())

  it('list form: no cloud_user_id for root, unwrapped team_roles without role', async () => {
    const res = await f.call('GET', '/api/v1/users')
    const users = res.body as Record<string, unknown>[]
    const root = users.find((u) => u.login === 'admin')
    const ada = users.find((u) => u.login === 'ada')
    expect(root).to.deep.equal({email: 'admin@test.com', fullname: 'System Administrator', id: f.state.root.id, login: 'admin', name: 'System Administrator', root: true, status: 'active', team_roles: []})
    expect(Object.keys(ada ?? {})).to.deep.equal(['id', 'login', 'name', 'email', 'cloud_user_id', 'root', 'status', 'team_roles', 'fullname'])
    const roles = ada?.team_roles as Record<string, unknown>[]
    expect(roles).to.have.lengthOf(1)
    expect(Object.keys(roles[0]).sort()).to.deep.equal(['id', 'team_id', 'user_id'])
    expect(roles[0]).to.include({team_id: f.team.id, user_id: f.admin.id})
  })

  it('single-object form wraps each role as {"team_role": {…}}', async () => {
    const token = await f.login('ada', 'secret1')
    const res = await f.call('GET', '/api/v1/users/current', {token})
    const roles = (res.body as {team_roles: Record<string, unknown>[]}).team_roles
    expect(roles).to.have.lengthOf(1)
    expect(roles[0].team_role).to.include({team_id: f.team.id, user_id: f.admin.id})
    const patched = await f.call('PATCH', `/api/v1/users/${f.admin.id}`, {body: {user: {cloud_user_id: 'cu-new'}}})
    expect(patched.status).to.equal(200)
    expect(patched.body).to.include({cloud_user_id: 'cu-new'})
    expect((patched.body as {team_roles: object[]}).team_roles[0]).to.have.property('team_role')
  })

  it('a non-root user updating themselves changes nothing; another user gives 403', async () => {
    const token = await f.login('mo', 'secret2')
    const self = await f.call('PATCH', `/api/v1/users/${f.member.id}`, {body: {user: {cloud_user_id: 'hacked'}}, token})
    expect(self.status).to.equal(200)
    expect(self.body).to.include({cloud_user_id: 'cu-member'})
    const other = await f.call('PATCH', `/api/v1/users/${f.admin.id}`, {body: {user: {cloud_user_id: 'x'}}, token})
    expect(other.status).to.equal(403)
  })

  it('status becomes "pending deletion" during an asynchronous delete', async () => {
    f.state.addUser({email: 'gone@example.com', login: 'gone', name: 'Gone', password: 'secret9'})
    const gone = f.state.userByLogin('gone')
    const res = await f.call('DELETE', `/api/v1/users/${gone?.id}`)
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({})
    const list = await f.call('GET', '/api/v1/users')
    expect((list.body as {login: string; status: string}[]).find((u) => u.login === 'gone')?.status).to.equal('pending deletion')
    await f.state.settleJobs()
    const after = await f.call('GET', '/api/v1/users')
    expect((after.body as {login: string}[]).map((u) => u.login)).to.not.include('gone')
  })
})
