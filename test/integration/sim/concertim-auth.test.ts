/**
 * Conformance of the simulated Concertim app: reference/concertim-api.md §10 rows 1–3
 * (login, authentication on /api/v1, roles).
 */
import {expect} from 'chai'

import {signJwt} from '../../../src/sim/concertim/jwt.js'
import {ConcertimFixture, instanceDevice, JWT_SECRET} from './concertim-fixture.js'

function claimsOf(authorization: string): Record<string, unknown> {
  const [scheme, token] = authorization.split(' ')
  expect(scheme).to.equal('Bearer')
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>
}

describe('sim concertim §10.1 login', () => {
  const f = new ConcertimFixture()
  before(async () => {
    await f.start()
  })
  after(() => f.stop())

  for (const path of ['/users/sign_in', '/users/sign_in.json', '/accounts/sign_in', '/accounts/sign_in.json']) {
    it(`POST ${path} answers 201 with an HS256 Bearer JWT in the Authorization header`, async () => {
      const res = await f.call('POST', path, {body: {user: {login: 'admin', password: 'admin'}}, token: null})
      expect(res.status).to.equal(201)
      const header = res.headers.get('authorization') ?? ''
      const claims = claimsOf(header)
      expect(claims.scp).to.equal('user')
      expect(claims.sub).to.equal(f.state.root.id)
      expect(claims.exp).to.equal((claims.iat as number) + 86_400)
      expect(claims.jti).to.match(/^[\da-f-]{36}$/)
      expect(claims).to.not.have.property('aud')
      const [headerPart] = header.split(' ')[1].split('.')
      expect(JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'))).to.include({alg: 'HS256'})
      expect((res.body as {login: string}).login).to.equal('admin')
    })
  }

  it('rejects a wrong password and an unknown login with 401 "Invalid Login or password."', async () => {
    for (const user of [{login: 'admin', password: 'nope'}, {login: 'ghost', password: 'admin'}, {login: 'ADMIN', password: 'admin'}]) {
      const res = await f.call('POST', '/users/sign_in.json', {body: {user}, token: null})
      expect(res.status).to.equal(401)
      expect(res.body).to.deep.equal({error: 'Invalid Login or password.'})
      expect(res.headers.get('authorization')).to.equal(null)
    }
  })

  it('answers 401 "You need to sign in…" when the user hash is missing', async () => {
    const res = await f.call('POST', '/users/sign_in.json', {body: {login: 'admin'}, token: null})
    expect(res.status).to.equal(401)
    expect(res.body).to.deep.equal({error: 'You need to sign in or sign up before continuing.'})
  })

  it('allowlists every issued jti: two logins give two valid tokens, sign-out revokes one', async () => {
    const a = await f.login('admin', 'admin')
    const b = await f.login('admin', 'admin')
    expect(claimsOf(a).jti).to.not.equal(claimsOf(b).jti)
    expect((await f.call('GET', '/api/v1/users/current', {token: a})).status).to.equal(200)
    const out = await f.call('GET', '/accounts/sign_out', {token: a})
    expect(out.status).to.equal(204)
    const revoked = await f.call('GET', '/api/v1/users/current', {token: a})
    expect(revoked.status).to.equal(401)
    expect(revoked.body).to.deep.equal({error: 'revoked token'})
    expect((await f.call('GET', '/api/v1/users/current', {token: b})).status).to.equal(200)
  })
})

describe('sim concertim §10.2 authentication on /api/v1', () => {
  let now = Date.parse('2024-05-10T12:00:00Z')
  const f = new ConcertimFixture()
  before(async () => {
    await f.start({now: () => now})
  })
  after(() => f.stop())
  afterEach(() => f.faults.clear())

  it('401 with the Devise message when there is no token, or the scheme is not Bearer', async () => {
    for (const token of [null, f.rootToken.replace('Bearer', 'Token'), 'Bearer']) {
      const res = await f.call('GET', '/api/v1/racks', {token})
      expect(res.status).to.equal(401)
      expect(res.headers.get('content-type')).to.match(/^application\/json/)
      expect(res.body).to.deep.equal({error: 'You need to sign in or sign up before continuing.'})
    }
  })

  it('401 "Signature has expired" once exp is reached (no leeway)', async () => {
    const token = await f.login('admin', 'admin')
    now += 86_399_000
    expect((await f.call('GET', '/api/v1/racks', {token})).status).to.equal(200)
    now += 1000
    const res = await f.call('GET', '/api/v1/racks', {token})
    expect(res.status).to.equal(401)
    expect(res.body).to.deep.equal({error: 'Signature has expired'})
    now -= 86_400_000
  })

  it('the expireTokens fault makes every JWT expired', async () => {
    f.faults.set('concertim', {expireTokens: true})
    const res = await f.call('GET', '/api/v1/users/current')
    expect(res.status).to.equal(401)
    expect(res.body).to.deep.equal({error: 'Signature has expired'})
  })

  it('ruby-jwt messages for bad signatures, malformed tokens, wrong scope and unknown users', async () => {
    const iat = Math.floor(now / 1000)
    const cases: [string, string][] = [
      [`Bearer ${signJwt({exp: iat + 60, iat, jti: 'x', scp: 'user', sub: f.state.root.id}, 'other-secret')}`, 'No verification key available'],
      ['Bearer abc.def', 'Not enough or too many segments'],
      ['Bearer !!!.???.***', 'Invalid segment encoding'],
      [`Bearer ${signJwt({exp: iat + 60}, JWT_SECRET)}`, 'wrong scope'],
      [`Bearer ${signJwt({exp: iat + 60, iat, jti: 'x', scp: 'user', sub: 'no-such-user'}, JWT_SECRET)}`, 'nil user'],
      [`Bearer ${signJwt({exp: iat + 60, iat, jti: 'not-allowlisted', scp: 'user', sub: f.state.root.id}, JWT_SECRET)}`, 'revoked token'],
    ]
    for (const [token, error] of cases) {
      const res = await f.call('GET', '/api/v1/racks', {token})
      expect(res.status, error).to.equal(401)
      expect(res.body).to.deep.equal({error})
    }
  })

  it('a navigational request (no Accept, */*, or a browser-like Accept) is redirected 302 to /accounts/sign_in', async () => {
    for (const accept of [null, '*/*', 'text/html', 'application/json, text/plain, */*']) {
      const res = await f.call('GET', '/api/v1/racks', {accept, token: null})
      expect(res.status, String(accept)).to.equal(302)
      expect(res.headers.get('location')).to.match(/\/accounts\/sign_in$/)
    }
  })

  it('a .json suffix makes the request JSON whatever the Accept header', async () => {
    const res = await f.call('GET', '/api/v1/racks.json', {accept: '*/*', token: null})
    expect(res.status).to.equal(401)
    const ok = await f.call('GET', '/api/v1/racks.json', {accept: '*/*'})
    expect(ok.status).to.equal(200)
    expect(ok.body).to.be.an('array').with.lengthOf(1)
  })
})

describe('sim concertim §10.3 roles', () => {
  const f = new ConcertimFixture()
  const FORBIDDEN = {errors: [{description: 'You are not authorized to access this page.', status: '403', title: 'Not Authorized'}]}
  let adminToken: string
  let memberToken: string
  let outsiderToken: string
  let deviceId: string
  before(async () => {
    await f.start()
    adminToken = await f.login('ada', 'secret1')
    memberToken = await f.login('mo', 'secret2')
    outsiderToken = await f.login('oz', 'secret3')
    deviceId = String((await f.createDevice(instanceDevice('comp1', f.rack.id, 1))).id)
  })
  after(() => f.stop())

  it('members read their team racks and devices; outsiders see nothing and get 403 on show', async () => {
    const racks = await f.call('GET', '/api/v1/racks', {token: memberToken})
    expect((racks.body as {id: string}[]).map((r) => r.id)).to.deep.equal([f.rack.id])
    expect((await f.call('GET', `/api/v1/racks/${f.rack.id}`, {token: memberToken})).status).to.equal(200)
    expect((await f.call('GET', `/api/v1/devices/${deviceId}`, {token: memberToken})).status).to.equal(200)
    expect((await f.call('GET', '/api/v1/racks', {token: outsiderToken})).body).to.deep.equal([])
    expect((await f.call('GET', '/api/v1/devices', {token: outsiderToken})).body).to.deep.equal([])
    const denied = await f.call('GET', `/api/v1/racks/${f.rack.id}`, {token: outsiderToken})
    expect(denied.status).to.equal(403)
    expect(denied.body).to.deep.equal(FORBIDDEN)
  })

  it('members cannot update, move or delete; team admins can', async () => {
    for (const [method, path, body] of [
      ['PATCH', `/api/v1/racks/${f.rack.id}`, {rack: {cost: 1}}],
      ['PATCH', `/api/v1/devices/${deviceId}`, {device: {cost: 1}}],
      ['DELETE', `/api/v1/devices/${deviceId}`, undefined],
      ['DELETE', `/api/v1/racks/${f.rack.id}?recurse=true`, undefined],
    ] as const) {
      const res = await f.call(method, path, {body, token: memberToken})
      expect(res.status, `${method} ${path}`).to.equal(403)
      expect(res.body).to.deep.equal(FORBIDDEN)
    }
    const res = await f.call('PATCH', `/api/v1/devices/${deviceId}`, {body: {device: {cost: 5}}, token: adminToken})
    expect(res.status).to.equal(200)
    expect((res.body as {cost: string}).cost).to.equal('5.00')
  })

  it('a team admin can create devices in the team rack but not elsewhere; non-admins cannot create at all', async () => {
    const other = f.state.addTeam({name: 'beta'})
    const otherRack = f.state.addRack({name: 'B-1', order_id: 'ord-b', status: 'ACTIVE', team_id: other.id})
    const ok = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('adm1', f.rack.id, 5), template_id: f.instanceTemplate.id}, token: adminToken})
    expect(ok.status).to.equal(200)
    const elsewhere = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('adm2', otherRack.id, 5), template_id: f.instanceTemplate.id}, token: adminToken})
    expect(elsewhere.status).to.equal(403)
    expect(f.state.deviceByName(otherRack.id, 'adm2')).to.equal(undefined)
    const member = await f.call('POST', '/api/v1/nodes', {body: {device: instanceDevice('mem1', f.rack.id, 8), template_id: f.instanceTemplate.id}, token: memberToken})
    expect(member.status).to.equal(403)
  })

  it('only root: team update, template create, data source maps, user delete', async () => {
    expect((await f.call('PATCH', `/api/v1/teams/${f.team.id}`, {body: {team: {cost: '1'}}, token: adminToken})).status).to.equal(403)
    expect((await f.call('POST', '/api/v1/templates', {body: {template: {height: 1, name: 'x'}}, token: adminToken})).status).to.equal(403)
    expect((await f.call('GET', '/api/v1/data-source-maps', {token: adminToken})).status).to.equal(403)
    expect((await f.call('DELETE', `/api/v1/users/${f.member.id}`, {token: adminToken})).status).to.equal(403)
  })

  it('a non-root rack create is refused (403 for another team, 422 order_id blank for their own)', async () => {
    const other = await f.call('POST', '/api/v1/racks', {body: {rack: {order_id: 'o', status: 'ACTIVE', team_id: 'nope'}}, token: adminToken})
    expect(other.status).to.equal(403)
    const own = await f.call('POST', '/api/v1/racks', {body: {rack: {name: 'Mine', order_id: 'o-9', status: 'ACTIVE', team_id: f.team.id}}, token: adminToken})
    expect(own.status).to.equal(422)
    expect(own.body).to.deep.equal({order_id: ["can't be blank"]})
  })

  it('non-root users list only themselves and their teams; permissions are static', async () => {
    const users = await f.call('GET', '/api/v1/users', {token: memberToken})
    expect((users.body as {login: string}[]).map((u) => u.login)).to.deep.equal(['mo'])
    const teams = await f.call('GET', '/api/v1/teams', {token: memberToken})
    expect((teams.body as {name: string}[]).map((t) => t.name)).to.deep.equal(['alpha'])
    const perms = await f.call('GET', '/api/v1/users/permissions', {token: outsiderToken})
    expect(perms.body).to.deep.equal({
      manage: {chassis: ['superAdmin', 'admin'], devices: ['superAdmin', 'admin'], racks: ['superAdmin', 'admin']},
      move: {chassis: ['superAdmin', 'admin'], devices: ['superAdmin', 'admin'], racks: []},
      view: {chassis: ['superAdmin', 'admin', 'member'], devices: ['superAdmin', 'admin', 'member'], racks: ['superAdmin', 'admin', 'member']},
    })
  })
})
