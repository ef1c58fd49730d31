/**
 * Conformance of the simulated Concertim app: reference/concertim-api.md §10 rows 13–15
 * (templates, deletes, data source maps).
 */
import {expect} from 'chai'

import {createConcertimApp} from '../../../src/sim/concertim/app.js'
import type {OutboundCall} from '../../../src/sim/concertim/deletion-jobs.js'
import {ConcertimState} from '../../../src/sim/concertim/state.js'
import {listen} from '../../../src/sim/http-app.js'
import {ConcertimFixture, instanceDevice, JWT_SECRET, request} from './concertim-fixture.js'

describe('sim concertim §10.13 templates', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start()
  })
  after(() => f.stop())

  it('index excludes the rack template and includes the seeded network and volume templates', async () => {
    const res = await f.call('GET', '/api/v1/templates')
    const templates = res.body as {height: number; name: string; tag: null | string}[]
    expect(templates.map((t) => t.tag)).to.not.include('rack')
    expect(templates.find((t) => t.tag === 'network')).to.include({height: 1, name: 'network'})
    expect(templates.find((t) => t.tag === 'volume')).to.include({height: 2, name: 'volume'})
    expect(templates.filter((t) => t.tag === null).map((t) => t.name)).to.deep.equal(['m1.small'])
    expect(Object.keys(templates[0])).to.deep.equal(['id', 'name', 'description', 'height', 'tag', 'foreign_id', 'vcpus', 'ram', 'disk'])
  })

  it('create takes strings as the os-service sends them, derives images for heights 1..6, answers 200', async () => {
    const res = await f.call('POST', '/api/v1/templates', {
      body: {template: {description: 'd', disk: '20', foreign_id: 'fl-2', height: '2', name: 'm1.medium', ram: '4096', rackable: 'ignored', vcpus: '2'}},
    })
    expect(res.status).to.equal(200)
    expect(res.body).to.include({description: 'd', disk: 20, foreign_id: 'fl-2', height: 2, name: 'm1.medium', ram: 4096, tag: null, vcpus: 2})
    const stored = f.state.templateByName('m1.medium')
    expect(stored?.images).to.deep.equal({front: 'generic_front_2u.png', rear: 'generic_rear_2u.png'})
    expect(stored?.depth).to.equal(2)
    const tall = await f.call('POST', '/api/v1/templates', {body: {template: {height: 7, name: 'huge'}}})
    expect(tall.body).to.deep.equal({images: ['No images found for template height']})
    const withImages = await f.call('POST', '/api/v1/templates', {body: {template: {height: 7, images: {front: 'f.png', rear: 'r.png'}, name: 'huge'}}})
    expect(withImages.status).to.equal(200)
    const dup = await f.call('POST', '/api/v1/templates', {body: {template: {height: 1, name: 'm1.medium'}}})
    expect(dup.body).to.deep.equal({name: ['has already been taken']})
    const vcpus = await f.call('POST', '/api/v1/templates', {body: {template: {height: 1, name: 'zero', vcpus: 0}}})
    expect(vcpus.body).to.deep.equal({vcpus: ['must be greater than 0']})
  })

  it('height (and tag) are immutable on update', async () => {
    const tpl = f.state.templateByName('m1.medium')
    const res = await f.call('PATCH', `/api/v1/templates/${tpl?.id}`, {body: {template: {description: 'new', height: 5, name: 'm1.medium2', tag: 'x'}}})
    expect(res.status).to.equal(200)
    expect(res.body).to.include({description: 'new', height: 2, name: 'm1.medium2', tag: null})
  })

  it('create is root only', async () => {
    const token = await f.login('ada', 'secret1')
    const res = await f.call('POST', '/api/v1/templates', {body: {template: {height: 1, name: 'nope'}}, token})
    expect(res.status).to.equal(403)
    expect(f.state.templateByName('nope')).to.equal(undefined)
  })
})

describe('sim concertim §10.14 deletes', () => {
  const calls: OutboundCall[] = []
  const f = new ConcertimFixture()
  let deviceId: string
  before(async () => {
    await f.start({deletionDelayMs: 20})
    deviceId = String((await f.createDevice(instanceDevice('del1', f.rack.id, 1))).id)
  })
  after(() => f.stop())

  it('device delete: 200 {} and the device, its location and its data source map are gone', async () => {
    const res = await f.call('DELETE', `/api/v1/devices/${deviceId}`)
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({})
    expect((await f.call('GET', `/api/v1/devices/${deviceId}`)).status).to.equal(404)
    expect(f.state.dataSourceMaps.has(deviceId)).to.equal(false)
    expect(f.state.locationsOfRack(f.rack.id)).to.deep.equal([])
  })

  it('rack delete needs ?recurse=true when not empty, then cascades', async () => {
    const d = await f.createDevice(instanceDevice('del2', f.rack.id, 1))
    expect((await f.call('DELETE', `/api/v1/racks/${f.rack.id}?recurse=false`)).status).to.equal(422)
    const res = await f.call('DELETE', `/api/v1/racks/${f.rack.id}?recurse=true`)
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({})
    expect(f.state.devices.has(String(d.id))).to.equal(false)
    expect((await f.call('GET', '/api/v1/racks')).body).to.deep.equal([])
  })

  it('template delete needs recurse when devices use it; the rack template cannot be deleted (500)', async () => {
    const rack = f.state.addRack({name: 'R9', order_id: 'ord-9', status: 'ACTIVE', team_id: f.team.id})
    const d = await f.createDevice(instanceDevice('del3', rack.id, 1))
    const res = await f.call('DELETE', `/api/v1/templates/${f.instanceTemplate.id}?recurse=1`)
    expect(res.status).to.equal(200)
    expect(f.state.devices.has(String(d.id))).to.equal(false)
    const rackTemplate = f.state.templateByTag('rack')
    expect((await f.call('DELETE', `/api/v1/templates/${rackTemplate?.id}`)).status).to.equal(500)
    f.state.removeRack(rack.id)
  })

  it('user delete is asynchronous: pending deletion, a DELETE /user call, then the record is gone', async () => {
    const res = await f.call('DELETE', `/api/v1/users/${f.member.id}`)
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({})
    expect(f.state.users.get(f.member.id)?.deleted_at).to.be.a('number')
    const login = await f.call('POST', '/users/sign_in.json', {body: {user: {login: 'mo', password: 'secret2'}}, token: null})
    expect(login.status).to.equal(401)
    await f.state.settleJobs()
    expect(f.state.users.has(f.member.id)).to.equal(false)
    calls.push(...f.state.outboundCalls)
    expect(calls.at(-1)).to.deep.include({method: 'DELETE', path: '/user'})
    expect(calls.at(-1)?.body).to.deep.include({user_info: {cloud_user_id: 'cu-member'}})
  })

  it('root users cannot be deleted', async () => {
    const res = await f.call('DELETE', `/api/v1/users/${f.state.root.id}`)
    expect(res.status).to.equal(403)
    expect(res.body).to.deep.equal({errors: [{description: 'You are not authorized to delete this user', status: '403', title: 'Not Authorized'}]})
  })

  it('team delete is asynchronous and cascades to racks and roles once DELETE /team succeeded', async () => {
    f.state.addRack({name: 'R10', order_id: 'ord-10', status: 'ACTIVE', team_id: f.team.id})
    const res = await f.call('DELETE', `/api/v1/teams/${f.team.id}?recurse=true`)
    expect(res.status).to.equal(200)
    expect(f.state.teams.get(f.team.id)?.deleted_at).to.be.a('number')
    await f.state.settleJobs()
    expect(f.state.teams.has(f.team.id)).to.equal(false)
    expect(f.state.racks.size).to.equal(0)
    expect(f.state.rolesOfUser(f.admin.id)).to.deep.equal([])
    expect(f.state.outboundCalls.at(-1)).to.deep.include({path: '/team'})
    expect(f.state.outboundCalls.at(-1)?.body).to.deep.include({team_info: {billing_acct_id: 'kb-1', project_id: 'proj-1'}})
  })
})

describe('sim concertim §10.14 deletes retried while the user handler fails', () => {
  it('keeps the user pending deletion until the call succeeds', async () => {
    const state = new ConcertimState()
    let failures = 2
    const app = createConcertimApp(state, {deletionDelayMs: 1, jwtSecret: JWT_SECRET, userHandler: () => failures-- <= 0})
    const server = await listen(app.listener())
    try {
      const user = state.addUser({cloud_user_id: 'c1', email: 'e@x.io', login: 'u1', name: 'U', password: 'secret1'})
      const token = `Bearer ${app.sessions.issue(state.root)}`
      expect((await request(server.url, 'DELETE', `/api/v1/users/${user.id}`, {token})).status).to.equal(200)
      await state.settleJobs()
      expect(state.outboundCalls).to.have.lengthOf(3)
      expect(state.users.has(user.id)).to.equal(false)
    } finally {
      await server.close()
    }
  })
})

describe('sim concertim §10.15 data source maps', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start()
  })
  after(() => f.stop())

  it('{} with no devices; {"unspecified":{"unspecified":{"device:<id>":"<id>"}}} with devices; root only', async () => {
    expect((await f.call('GET', '/api/v1/data-source-maps')).body).to.deep.equal({})
    const a = String((await f.createDevice(instanceDevice('a', f.rack.id, 1))).id)
    const b = String((await f.createDevice(instanceDevice('b', f.rack.id, 3))).id)
    const res = await f.call('GET', '/api/v1/data-source-maps')
    expect(res.status).to.equal(200)
    expect(res.body).to.deep.equal({unspecified: {unspecified: {[`device:${a}`]: a, [`device:${b}`]: b}}})
    const token = await f.login('ada', 'secret1')
    const denied = await f.call('GET', '/api/v1/data-source-maps', {token})
    expect(denied.status).to.equal(403)
    expect(denied.body).to.deep.equal({errors: [{description: 'You are not authorized to access this page.', status: '403', title: 'Not Authorized'}]})
  })
})
