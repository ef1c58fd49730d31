/**
 * Conformance of the simulated Concertim app: reference/concertim-api.md §10 rows 4–6
 * (per-endpoint 422 shapes, not found, 400).
 */
import {expect} from 'chai'

import {ConcertimFixture, instanceDevice} from './concertim-fixture.js'

describe('sim concertim §10.4 per-endpoint 422 shapes', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start()
  })
  after(() => f.stop())

  it('rack create: errors.as_json, unwrapped (the spec example)', async () => {
    const res = await f.call('POST', '/api/v1/racks', {body: {rack: {metadata: 'not a hash', status: 'not a valid status', u_height: -1}}})
    expect(res.status).to.equal(422)
    expect(res.body).to.deep.equal({
      order_id: ["can't be blank"],
      status: ['must be one of IN_PROGRESS, FAILED, ACTIVE or STOPPED'],
      team: ['must exist'],
      u_height: ['must be greater than 0'],
    })
    expect(Object.keys(res.body as object)).to.deep.equal(['team', 'u_height', 'status', 'order_id'])
  })

  it('template create and team update: errors.as_json, unwrapped', async () => {
    const tpl = await f.call('POST', '/api/v1/templates', {body: {template: {name: 'no-height'}}})
    expect(tpl.status).to.equal(422)
    expect(tpl.body).to.deep.equal({height: ["can't be blank", 'is not a number'], images: ['No images found for template height']})
    const team = await f.call('PATCH', `/api/v1/teams/${f.team.id}`, {body: {team: {billing_period_start: '2024-05-01', credits: ''}}})
    expect(team.status).to.equal(422)
    expect(team.body).to.deep.equal({billing_period: ['must have a start date and end date, or neither'], credits: ["can't be blank", 'is not a number']})
  })

  it('user update: errors.as_json, unwrapped', async () => {
    const res = await f.call('PATCH', `/api/v1/users/${f.admin.id}`, {body: {user: {cloud_user_id: 'cu-member'}}})
    expect(res.status).to.equal(422)
    expect(res.body).to.deep.equal({cloud_user_id: ['has already been taken']})
  })

  it('nodes create: errors.details of the first failing record', async () => {
    await f.createDevice(instanceDevice('taken1', f.rack.id, 1))
    const occupied = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('x1', f.rack.id, 2), template_id: f.instanceTemplate.id}})
    expect(occupied.status).to.equal(422)
    expect(occupied.body).to.deep.equal({start_u: [{error: 'is occupied'}]})
    const badName = await f.call('POST', '/api/v1/nodes', {
      body: {device: instanceDevice('not a valid name', f.rack.id, 5, {status: 'BROKEN'}), template_id: f.instanceTemplate.id},
    })
    expect(badName.status).to.equal(422)
    expect(badName.body).to.deep.equal({
      name: [{error: 'invalid', value: 'not a valid name'}],
      status: [{error: 'must be one of IN_PROGRESS, FAILED, ACTIVE, STOPPED or SUSPENDED'}],
    })
    const dup = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('taken1', f.rack.id, 5), template_id: f.instanceTemplate.id}})
    expect(dup.body).to.deep.equal({name: [{error: 'taken'}]})
    const network = f.state.templateByTag('network')
    const wrongTemplate = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('net0', f.rack.id, 7), template_id: network?.id}})
    expect(wrongTemplate.body).to.deep.equal({template: [{error: 'must use an instance template'}]})
    const wrongDetails = await f.call('POST', '/api/v1/nodes', {
      body: {device: instanceDevice('c9', f.rack.id, 7, {details: {type: 'Device::VolumeDetails', size: 2}}), template_id: f.instanceTemplate.id},
    })
    expect(wrongDetails.body).to.deep.equal({details_type: [{error: 'must have compute details'}]})
    const facing = await f.call('POST', '/api/v1/nodes', {
      body: {device: instanceDevice('c8', f.rack.id, 7, {location: {facing: 'x', rack_id: f.rack.id, start_u: 7}}), template_id: f.instanceTemplate.id},
    })
    expect(facing.body).to.deep.equal({facing: [{error: 'inclusion', permitted: ['b', 'f'], value: 'x'}]})
  })

  it('device update: wrapped {"errors": errors.as_json}', async () => {
    const device = await f.createDevice(instanceDevice('upd1', f.rack.id, 3))
    const res = await f.call('PATCH', `/api/v1/devices/${String(device.id)}`, {body: {device: {cost: -1, name: 'bad name', status: 'NOPE'}}})
    expect(res.status).to.equal(422)
    expect(res.body).to.deep.equal({
      errors: {
        cost: ['must be greater than or equal to 0'],
        name: ['can contain only alphanumeric characters, dots and hyphens.'],
        status: ['must be one of IN_PROGRESS, FAILED, ACTIVE, STOPPED or SUSPENDED'],
      },
    })
    const changeDetails = await f.call('PATCH', `/api/v1/devices/${String(device.id)}`, {body: {device: {details: {mtu: 1, type: 'Device::NetworkDetails'}}}})
    expect(changeDetails.body).to.deep.equal({
      errors: {details: ['must exist', "can't be blank"], details_type: ['Cannot be changed once a device has been created', 'must have compute details']},
    })
  })

  it('rack/template delete conflicts: {"errors": "<string>"}', async () => {
    const rack = await f.call('DELETE', `/api/v1/racks/${f.rack.id}`)
    expect(rack.status).to.equal(422)
    expect(rack.body).to.deep.equal({errors: 'rack is not empty'})
    const tpl = await f.call('DELETE', `/api/v1/templates/${f.instanceTemplate.id}`)
    expect(tpl.status).to.equal(422)
    expect(tpl.body).to.deep.equal({errors: 'devices have been created from this template'})
  })

  it('user/team delete conflicts: {"errors": [{status, title, description}]}', async () => {
    const user = await f.call('DELETE', `/api/v1/users/${f.admin.id}`)
    expect(user.status).to.equal(422)
    expect(user.body).to.deep.equal({errors: [{description: 'Cannot delete user as they have active racks', status: '422', title: 'Unprocessable Content'}]})
    const team = await f.call('DELETE', `/api/v1/teams/${f.team.id}`)
    expect(team.body).to.deep.equal({errors: [{description: 'Cannot delete team as they have active racks', status: '422', title: 'Unprocessable Content'}]})
  })

  it('user/team delete without a CloudServiceConfig: 422 {}', async () => {
    f.state.cloudServiceConfig = false
    const lone = f.state.addTeam({name: 'lonely'})
    const res = await f.call('DELETE', `/api/v1/teams/${lone.id}`)
    f.state.cloudServiceConfig = true
    expect(res.status).to.equal(422)
    expect(res.body).to.deep.equal({})
  })
})

describe('sim concertim §10.5 not found', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start()
  })
  after(() => f.stop())

  it('unknown or non-UUID ids: 404 {"errors":{"record":["Not found"]}}', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/racks/00000000-0000-4000-8000-000000000000'],
      ['GET', '/api/v1/racks/123'],
      ['PATCH', '/api/v1/racks/123'],
      ['GET', '/api/v1/devices/nope'],
      ['DELETE', '/api/v1/devices/nope'],
      ['PATCH', '/api/v1/templates/nope'],
      ['PATCH', '/api/v1/users/nope'],
      ['DELETE', '/api/v1/teams/nope'],
    ]) {
      const res = await f.call(method, path, {body: method === 'GET' ? undefined : {rack: {name: 'x'}}})
      expect(res.status, `${method} ${path}`).to.equal(404)
      expect(res.body).to.deep.equal({errors: {record: ['Not found']}})
    }
  })

  it('nodes with an unknown template_id: 404 record not found', async () => {
    const res = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('a', f.rack.id, 1), template_id: 'nope'}})
    expect(res.status).to.equal(404)
    expect(res.body).to.deep.equal({errors: {record: ['Not found']}})
  })

  it('routes without an action: 404 {"status":404,"error":"Not Found"}, even without a token', async () => {
    for (const [method, path] of [
      ['POST', '/api/v1/teams'],
      ['GET', `/api/v1/teams/${f.team.id}`],
      ['GET', `/api/v1/users/${f.admin.id}`],
      ['GET', `/api/v1/templates/${f.instanceTemplate.id}`],
      ['GET', '/api/v1/racks/new'],
      ['GET', `/api/v1/racks/${f.rack.id}/edit`],
      ['POST', '/api/v1/users'],
      ['GET', '/api/v1/nothing-here'],
    ]) {
      for (const token of [undefined, null]) {
        const res = await f.call(method, path, {token})
        expect(res.status, `${method} ${path}`).to.equal(404)
        expect(res.body).to.deep.equal({error: 'Not Found', status: 404})
      }
    }
  })
})

describe('sim concertim §10.6 400 param missing', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start()
  })
  after(() => f.stop())

  it('a missing or empty resource key gives 400 with the key named', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/api/v1/racks', {}, 'rack'],
      ['PATCH', `/api/v1/racks/${f.rack.id}`, {name: 'x'}, 'rack'],
      ['POST', '/api/v1/templates', {template: {}}, 'template'],
      ['PATCH', `/api/v1/teams/${f.team.id}`, {team: {}}, 'team'],
      ['PATCH', `/api/v1/users/${f.admin.id}`, {user: {}}, 'user'],
      ['POST', '/api/v1/nodes', {template_id: f.instanceTemplate.id}, 'device'],
      ['POST', '/api/v1/nodes', {device: {name: 'x'}}, 'template_id'],
    ]
    for (const [method, path, body, key] of cases) {
      const res = await f.call(method, path, {body})
      expect(res.status, `${method} ${path}`).to.equal(400)
      expect(res.body).to.deep.equal({error: `param is missing or the value is empty: ${key}`, status: 400})
    }
  })

  it('racks#create uses params.fetch: {"rack": {}} passes and fails validation instead', async () => {
    const res = await f.call('POST', '/api/v1/racks', {body: {rack: {}}})
    expect(res.status).to.equal(422)
    expect(res.body).to.have.property('team')
  })

  it('500 shapes: description on racks, schema_version on templates, root-only user keys', async () => {
    const rack = await f.call('POST', '/api/v1/racks', {body: {rack: {description: 'x', order_id: 'o', status: 'ACTIVE', team_id: f.team.id}}})
    expect(rack.status).to.equal(500)
    expect(rack.body).to.deep.equal({errors: [{description: "unknown attribute 'description' for HwRack.", status: '500', title: 'ActiveModel::UnknownAttributeError'}]})
    const tpl = await f.call('POST', '/api/v1/templates', {body: {template: {height: 1, name: 'v', schema_version: 1}}})
    expect(tpl.status).to.equal(500)
    const user = await f.call('PATCH', `/api/v1/users/${f.admin.id}`, {body: {user: {project_id: 'p'}}})
    expect(user.status).to.equal(500)
    expect(user.body).to.deep.equal({errors: [{description: "unknown attribute 'project_id' for User.", status: '500', title: 'ActiveModel::UnknownAttributeError'}]})
    const noRack = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('z', 'missing-rack', 1), template_id: f.instanceTemplate.id}})
    expect(noRack.status).to.equal(500)
    expect((noRack.body as {errors: {title: string}[]}).errors[0].title).to.equal('NoMethodError')
  })
})
