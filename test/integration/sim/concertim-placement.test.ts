/**
 * Conformance of the simulated Concertim app: reference/concertim-api.md §10 rows 11–12
 * (placement rules, device and rack names, order_id).
 */
import {expect} from 'chai'

import {ConcertimFixture, instanceDevice} from './concertim-fixture.js'

describe('sim concertim §10.11 placement', () => {
  const f = new ConcertimFixture()
  let tall: string
  let oneU: string | undefined
  before(async () => {
    await f.start()
    tall = f.state.addTemplate({height: 3, name: 'm1.tall'}).id
    oneU = f.state.templateByTag('network')?.id
  })
  after(() => f.stop())

  const post = (device: Record<string, unknown>, templateId: string | undefined) =>
    f.call('POST', '/api/v1/nodes', {body: {device, template_id: templateId}})

  it('end_u = start_u + height - 1 (a client end_u is ignored)', async () => {
    const d = await f.createDevice(instanceDevice('a', f.rack.id, '5', {location: {end_u: 9, facing: 'f', rack_id: f.rack.id, start_u: '5'}}))
    expect(d.location).to.deep.include({end_u: 6, start_u: 5})
  })

  it('only the U at start_u is checked for occupancy (the real app lets a taller device overlap above)', async () => {
    const overlap = await post(instanceDevice('b', f.rack.id, 3), tall)
    expect(overlap.status).to.equal(200)
    expect((overlap.body as {location: unknown}).location).to.deep.include({end_u: 5, start_u: 3})
    for (const startU of [5, 6]) {
      const res = await post(instanceDevice(`c${startU}`, f.rack.id, startU), f.instanceTemplate.id)
      expect(res.status).to.equal(422)
      expect(res.body).to.deep.equal({start_u: [{error: 'is occupied'}]})
    }
  })

  it('start_u beyond the rack, end_u beyond the rack, start_u 0 and missing start_u', async () => {
    const above = await post(instanceDevice('d1', f.rack.id, 11), f.instanceTemplate.id)
    expect(above.body).to.deep.equal({end_u: [{error: 'is invalid'}], start_u: [{error: 'is invalid'}, {error: 'is invalid'}]})
    const tooTall = await post(instanceDevice('d2', f.rack.id, 10), f.instanceTemplate.id)
    expect(tooTall.body).to.deep.equal({end_u: [{error: 'is invalid'}]})
    const zero = await post(instanceDevice('d3', f.rack.id, 0), oneU)
    expect(zero.body).to.deep.equal({
      end_u: [{count: 0, error: 'greater_than', value: 0}],
      start_u: [{count: 0, error: 'greater_than', value: 0}, {error: 'is invalid'}, {error: 'is invalid'}],
    })
    const missing = await post(instanceDevice('d4', f.rack.id, 1, {location: {facing: 'f', rack_id: f.rack.id}}), f.instanceTemplate.id)
    expect(missing.body).to.deep.equal({end_u: [{error: 'not_a_number', value: null}], start_u: [{error: 'not_a_number', value: null}]})
    const noRack = await post(instanceDevice('d5', f.rack.id, 1, {location: {facing: 'f'}}), f.instanceTemplate.id)
    expect(noRack.body).to.deep.include({rack: [{error: 'blank'}]})
  })

  it('moves need facing and start_u; rack_id cannot change; the device itself is excluded', async () => {
    const d = await f.createDevice(instanceDevice('mover', f.rack.id, 8))
    const id = String(d.id)
    const noFacing = await f.call('PATCH', `/api/v1/devices/${id}`, {body: {device: {location: {start_u: 1}}}})
    expect(noFacing.status).to.equal(422)
    expect(noFacing.body).to.deep.equal({errors: {facing: ["must be either 'b' or 'f'"]}})
    const self = await f.call('PATCH', `/api/v1/devices/${id}`, {body: {device: {location: {facing: 'b', start_u: 9}}}})
    expect(self.status).to.equal(200)
    expect((self.body as {location: unknown}).location).to.deep.include({end_u: 10, facing: 'b', start_u: 9})
    const other = f.state.addRack({name: 'Other', order_id: 'ord-o', status: 'ACTIVE', team_id: f.team.id})
    const moved = await f.call('PATCH', `/api/v1/devices/${id}`, {body: {device: {location: {facing: 'f', rack_id: other.id, start_u: 1}}}})
    expect(moved.status).to.equal(200)
    expect((moved.body as {location: {rack_id: string}}).location.rack_id).to.equal(f.rack.id)
  })

  it('an invalid move still saves the other attributes (updates are not atomic)', async () => {
    const d = await f.createDevice(instanceDevice('partial', f.rack.id, 7))
    const res = await f.call('PATCH', `/api/v1/devices/${String(d.id)}`, {body: {device: {description: 'changed', location: {facing: 'f', start_u: 99}}}})
    expect(res.status).to.equal(422)
    expect((res.body as {errors: Record<string, unknown>}).errors).to.have.property('start_u')
    expect(f.state.devices.get(String(d.id))?.description).to.equal('changed')
  })

  it('rack height: < 73 and ≥ the highest occupied U', async () => {
    const big = await f.call('PATCH', `/api/v1/racks/${f.rack.id}`, {body: {rack: {u_height: 73}}})
    expect(big.body).to.deep.equal({u_height: ['must be less than 73']})
    const small = await f.call('PATCH', `/api/v1/racks/${f.rack.id}`, {body: {rack: {u_height: 4}}})
    expect(small.status).to.equal(422)
    expect(small.body).to.deep.equal({u_height: ['must be greater than the highest occupied U (minimum is therefore 8).']})
    const ok = await f.call('PATCH', `/api/v1/racks/${f.rack.id}`, {body: {rack: {u_height: '72'}}})
    expect(ok.status).to.equal(200)
    expect((ok.body as {u_height: number}).u_height).to.equal(72)
  })
})

describe('sim concertim §10.12 devices, names and order ids', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start()
  })
  after(() => f.stop())

  it('statuses are per type; no type means the base class with no valid status', async () => {
    const volumeTpl = f.state.templateByTag('volume')?.id
    const suspended = await f.call('POST', '/api/v1/nodes', {
      body: {device: {details: {size: 1, type: 'Device::VolumeDetails'}, location: {facing: 'f', rack_id: f.rack.id, start_u: 1}, name: 'v1', status: 'SUSPENDED', type: 'Volume'}, template_id: volumeTpl},
    })
    expect(suspended.body).to.deep.equal({status: [{error: 'must be one of IN_PROGRESS, FAILED, ACTIVE or AVAILABLE'}]})
    const untyped = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('u1', f.rack.id, 1, {type: undefined}), template_id: f.instanceTemplate.id}})
    expect(untyped.body).to.deep.equal({status: [{error: 'must be one of '}]})
    const bogus = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('u2', f.rack.id, 1, {type: 'Server'}), template_id: f.instanceTemplate.id}})
    expect(bogus.status).to.equal(500)
    expect((bogus.body as {errors: {title: string}[]}).errors[0].title).to.equal('ActiveRecord::SubclassNotFound')
  })

  it('device names: [A-Za-z0-9.-], at most 150, unique per rack only', async () => {
    for (const name of ['under_score', 'with space']) {
      const res = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice(name, f.rack.id, 1), template_id: f.instanceTemplate.id}})
      expect(res.body).to.deep.equal({name: [{error: 'invalid', value: name}]})
    }
    const long = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('a'.repeat(151), f.rack.id, 1), template_id: f.instanceTemplate.id}})
    expect(long.body).to.deep.equal({name: [{count: 150, error: 'too_long'}]})
    await f.createDevice(instanceDevice('same.name', f.rack.id, 1))
    const other = f.state.addRack({name: 'R2', order_id: 'ord-r2', status: 'ACTIVE', team_id: f.team.id})
    await f.createDevice(instanceDevice('same.name', other.id, 1))
    const dup = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('same.name', f.rack.id, 5), template_id: f.instanceTemplate.id}})
    expect(dup.body).to.deep.equal({name: [{error: 'taken'}]})
  })

  it('rack names: [A-Za-z0-9_-], unique per team; another team may reuse them', async () => {
    const dotted = await f.call('POST', '/api/v1/racks', {body: {rack: {name: 'my.rack', order_id: 'o1', status: 'ACTIVE', team_id: f.team.id}}})
    expect(dotted.body).to.deep.equal({name: ['can contain only alphanumeric characters, hyphens and underscores.']})
    const taken = await f.call('POST', '/api/v1/racks', {body: {rack: {name: 'Rack-1', order_id: 'o2', status: 'ACTIVE', team_id: f.team.id}}})
    expect(taken.body).to.deep.equal({name: ['has already been taken']})
    const beta = f.state.addTeam({name: 'beta'})
    const reuse = await f.call('POST', '/api/v1/racks', {body: {rack: {name: 'Rack-1', order_id: 'o3', status: 'ACTIVE', team_id: beta.id}}})
    expect(reuse.status).to.equal(200)
  })

  it('order_id is required and globally unique', async () => {
    const beta = f.state.teamByName('beta')
    const missing = await f.call('POST', '/api/v1/racks', {body: {rack: {name: 'x1', status: 'ACTIVE', team_id: beta?.id}}})
    expect(missing.body).to.deep.equal({order_id: ["can't be blank"]})
    const dup = await f.call('POST', '/api/v1/racks', {body: {rack: {name: 'x2', order_id: 'ord-1', status: 'ACTIVE', team_id: beta?.id}}})
    expect(dup.body).to.deep.equal({order_id: ['has already been taken']})
  })
})
