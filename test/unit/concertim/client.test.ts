import {expect} from 'chai'
import type {IncomingMessage, ServerResponse} from 'node:http'

import {ConcertimAuthError, ConcertimClient, ConcertimValidationError, createConcertim} from '../../../src/lib/concertim/index.js'
import {CallLedger, HttpError} from '../../../src/lib/http/index.js'
import {jwtExpiry} from '../../../src/lib/concertim/client.js'
import {redactText} from '../../../src/lib/output/redact.js'
import {json, LocalServer} from '../../support/local-server.js'
import {failure} from '../../support/failure.js'

const fast = {deadlineMs: 5000, maxInFlightPerHost: 8, maxRetryDelayMs: 100, retries: 2, retryBaseMs: 5, timeoutMs: 2000}
const UNAUTHENTICATED = {error: 'You need to sign in or sign up before continuing.'}
const NOT_FOUND_RECORD = {errors: {record: ['Not found']}}

const team = {billing_acct_id: 'kb-1', billing_period_end: null, billing_period_start: null, cost: '0.0', credits: '25.0', id: 't1', name: 'alice_team', project_id: 'p1'}
const template = {description: 'Small', disk: 10, foreign_id: 'm1.small', height: 2, id: 'tpl-1', name: 'm1.small', ram: 2048, tag: null, vcpus: 1}
const location = {depth: 2, end_u: 4, facing: 'f', rack_id: 'r1', start_u: 3, type: 'rack'}
const instanceListForm = {
  cost: '77.77',
  description: 'comp101',
  id: 'd1',
  location,
  login_user: 'ubuntu',
  metadata: {openstack_instance_id: 'srv-1', openstack_stack_id: 'stack-1'},
  name: 'comp101',
  private_ips: "['10.0.0.5']",
  public_ips: '1.1.1.1, 2.2.2.2',
  ssh_key: 'abc',
  status: 'ACTIVE',
  template_id: 'tpl-1',
  type: 'Instance',
  volume_details: {id: 'abc'},
}
const rack = {cost: '0.00', creation_output: null, id: 'r1', metadata: {openstack_stack_id: 'stack-1'}, name: 'Rack-1', network_details: {}, order_id: 'ord-1', owner: team, status: 'ACTIVE', u_height: 42}

interface Seen {
  body: unknown
  headers: IncomingMessage['headers']
  method: string
  path: string
  query: URLSearchParams
}

type Api = (seen: Seen, res: ServerResponse) => void

/**
 * A small Concertim: logins hand out numbered JWTs in the Authorization header; `/api/v1` checks the
 * bearer token against the valid ones and passes valid requests to `api`.
 */
class FakeConcertim {
  api: Api = (_s, res) => json(res, 200, [])
  apiCalls: Seen[] = []
  /** Delay before answering a login, ms (to let concurrent requests pile up). */
  loginDelayMs = 0
  loginStatus = 201
  logins: Seen[] = []
  readonly server: LocalServer
  valid = new Set<string>()
  private issued = 0

  constructor() {
    this.server = new LocalServer((req, res, body) => this.handle(req, res, body))
  }

  /** Make every token issued so far invalid (as an expiry would). */
  expireAll(): void {
    this.valid.clear()
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x')
    const seen: Seen = {body: raw === '' ? undefined : JSON.parse(raw), headers: req.headers, method: req.method ?? 'GET', path: url.pathname, query: url.searchParams}
    if (req.method === 'POST' && url.pathname === '/users/sign_in.json') {
      this.logins.push(seen)
      if (this.loginDelayMs > 0) await new Promise((r) => setTimeout(r, this.loginDelayMs))
      const user = (seen.body as {user?: {login?: string; password?: string}}).user
      if (user?.login !== 'admin' || user.password !== 'pw') return json(res, 401, {error: 'Invalid Login or password.'})
      const jwt = `jwt-${++this.issued}`
      this.valid.add(jwt)
      return json(res, this.loginStatus, {id: 'u0', login: 'admin'}, {Authorization: `Bearer ${jwt}`})
    }
    if (url.pathname.startsWith('/api/v1/')) {
      this.apiCalls.push(seen)
      const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))
      if (!auth) return json(res, 401, UNAUTHENTICATED)
      if (!this.valid.has(auth[1])) return json(res, 401, {error: 'Signature has expired'})
      return this.api(seen, res)
    }
    return json(res, 404, {error: 'Not Found', status: 404})
  }
}

describe('ConcertimClient (lib/concertim/client)', () => {
  let fake: FakeConcertim
  let ledger: CallLedger
  let client: ConcertimClient

  beforeEach(async () => {
    fake = new FakeConcertim()
    await fake.server.start()
    ledger = new CallLedger()
    client = new ConcertimClient({password: 'pw', url: `${fake.server.url}/`, username: 'admin'}, {ledger, settings: fast})
  })
  afterEach(async () => {
    await fake.server.stop()
  })

  describe('login', () => {
    it('posts {"user":{"login","password"}} as JSON to /users/sign_in.json and uses the Authorization header token', async () => {
      fake.api = (_s, res) => json(res, 200, [rack])
      await client.racks()
      expect(fake.logins).to.have.length(1)
      const login = fake.logins[0]
      expect(login.body).to.deep.equal({user: {login: 'admin', password: 'pw'}})
      expect(login.headers['content-type']).to.match(/^application\/json/)
      expect(login.headers.accept).to.equal('application/json')
      expect(fake.apiCalls[0].headers.authorization).to.equal('Bearer jwt-1')
      expect(fake.apiCalls[0].headers.accept).to.equal('application/json')
      expect(fake.apiCalls[0].path).to.equal('/api/v1/racks')
    })

    it('accepts 200 as well as 201', async () => {
      fake.loginStatus = 200
      expect(await client.login()).to.equal('jwt-1')
    })

    it('logs in once for many requests', async () => {
      await Promise.all([client.racks(), client.devices(), client.teams()])
      await client.templates()
      expect(fake.logins).to.have.length(1)
    })

    it('turns refused credentials into ConcertimAuthError with the app message, never the password', async () => {
      const bad = new ConcertimClient({password: 'wrong-password', url: fake.server.url, username: 'admin'}, {settings: fast})
      const err = await failure(bad.racks(), ConcertimAuthError)
      expect(err.message).to.contain('Invalid Login or password.')
      expect(err.message).not.to.contain('wrong-password')
      expect(err.code).to.equal('E_CONCERTIM_AUTH')
      expect(fake.apiCalls).to.have.length(0)
    })

    it('fails clearly when the login answer carries no Authorization header (not a Concertim)', async () => {
      fake.server.use((_req, res) => json(res, 201, {}))
      const err = await failure(client.login(), ConcertimAuthError)
      expect(err.message).to.contain('without an')
      expect(err.hint).to.contain('concertim_url')
    })

    it('is allowed under dry-run (a read-only POST), while writes are refused', async () => {
      const dry = new ConcertimClient({password: 'pw', url: fake.server.url, username: 'admin'}, {dryRun: true, ledger, settings: fast})
      fake.api = (_s, res) => json(res, 200, [])
      expect(await dry.racks()).to.deep.equal([])
      const err = await failure(dry.deleteRack('r1'), HttpError)
      expect(err.kind).to.equal('dry-run')
      expect(ledger.writes('concertim')).to.equal(0)
    })
  })

  describe('401 → re-login → repeat once', () => {
    it('renews an expired token and repeats the request once', async () => {
      fake.api = (_s, res) => json(res, 200, [rack])
      await client.racks()
      fake.expireAll()
      const racks = await client.racks()
      expect(racks).to.have.length(1)
      expect(fake.logins).to.have.length(2)
      expect(fake.apiCalls.map((c) => c.headers.authorization)).to.deep.equal(['Bearer jwt-1', 'Bearer jwt-1', 'Bearer jwt-2'])
    })

    it('a token refused right after a successful login: one more login after a pause; then an error that does not blame the credentials', async () => {
      const pausing = new ConcertimClient({password: 'pw', url: fake.server.url, username: 'admin'}, {ledger, settings: fast}, {refusedTokenPauseMs: 50})
      fake.api = (_s, res) => json(res, 401, {error: 'revoked token'})
      const started = Date.now()
      const err = await failure(pausing.racks(), HttpError)
      expect(Date.now() - started).to.be.at.least(50)
      expect(err.status).to.equal(401)
      expect(err.code).to.equal('E_CONCERTIM_TOKEN_REFUSED')
      expect(err.serverMessage).to.equal('revoked token')
      expect(err.message).to.contain('refused a token it had just issued')
      expect(err.hint).to.not.match(/check the credentials/i)
      expect(err.hint).to.match(/credentials were accepted/)
      expect(fake.logins).to.have.length(3)
      expect(fake.apiCalls).to.have.length(3)
    })

    it('a short window where every JWT is refused is ridden out: the request succeeds after the pause', async () => {
      const pausing = new ConcertimClient({password: 'pw', url: fake.server.url, username: 'admin'}, {ledger, settings: fast}, {refusedTokenPauseMs: 20})
      let refusals = 2
      fake.api = (_s, res) => (refusals-- > 0 ? json(res, 401, {error: 'Signature verification failed'}) : json(res, 200, [rack]))
      expect(await pausing.racks()).to.have.length(1)
      expect(fake.logins).to.have.length(3)
      expect(fake.apiCalls).to.have.length(3)
    })

    it('concurrent 401s cause exactly one new login', async () => {
      fake.api = (_s, res) => json(res, 200, [])
      await client.racks()
      fake.expireAll()
      fake.loginDelayMs = 50
      await Promise.all(Array.from({length: 8}, async () => client.devices()))
      expect(fake.logins).to.have.length(2)
      const retried = fake.apiCalls.filter((c) => c.headers.authorization === 'Bearer jwt-2')
      expect(retried).to.have.length(8)
    })

    it('a request that got 401 after another already renewed uses the new token without logging in', async () => {
      fake.api = (_s, res) => json(res, 200, [])
      const stale = await client.login()
      fake.expireAll()
      const fresh = await client.renewToken(stale)
      expect(await client.renewToken(stale)).to.equal(fresh)
      expect(fake.logins).to.have.length(2)
    })

    it('a replaced JWT is no longer a registered secret; the one in use is', async () => {
      fake.api = (_s, res) => json(res, 200, [])
      const stale = await client.login()
      fake.expireAll()
      const fresh = await client.renewToken(stale)
      expect(redactText(`used ${stale}`)).to.equal(`used ${stale}`)
      expect(redactText(`used ${fresh}`)).to.equal('used ***')
    })

    it('does not re-login on 403 (a real refusal)', async () => {
      fake.api = (_s, res) => json(res, 403, {errors: [{description: 'You are not authorized to access this page.', status: '403', title: 'Not Authorized'}]})
      const err = await failure(client.dataSourceMap(), HttpError)
      expect(err.status).to.equal(403)
      expect(err.message).to.contain('You are not authorized to access this page.')
      expect(fake.logins).to.have.length(1)
      expect(fake.apiCalls).to.have.length(1)
    })
  })

  describe('422 → ConcertimValidationError with field messages', () => {
    it('racks/templates/teams/users shape {"attr":["msg"]}', async () => {
      fake.api = (_s, res) => json(res, 422, {name: ['has already been taken'], order_id: ["can't be blank"]})
      const err = await failure(client.createRack({order_id: '', status: 'ACTIVE', team_id: 't1'}), ConcertimValidationError)
      expect(err.fields).to.deep.equal({name: ['has already been taken'], order_id: ["can't be blank"]})
      expect(err.message).to.contain("name has already been taken; order_id can't be blank")
      expect(err.message).to.contain('POST')
    })

    it('device update shape {"errors":{"attr":["msg"]}}', async () => {
      fake.api = (_s, res) => json(res, 422, {errors: {cost: ['must be greater than or equal to 0'], name: ['can contain only alphanumeric characters, dots and hyphens.']}})
      const err = await failure(client.updateDevice('d1', {cost: -1, name: 'bad name'}), ConcertimValidationError)
      expect(err.fields).to.deep.equal({cost: ['must be greater than or equal to 0'], name: ['can contain only alphanumeric characters, dots and hyphens.']})
    })

    it('nodes create shape {"attr":[{"error":…}]} with Rails symbols turned into messages', async () => {
      fake.api = (_s, res) =>
        json(res, 422, {
          end_u: [{count: 0, error: 'greater_than', value: 0}],
          name: [{error: 'taken'}],
          start_u: [{error: 'is occupied'}, {error: 'not_a_number', value: null}],
          template: [{error: 'must use the network template'}],
        })
      const err = await failure(
        client.createDevice({details: {}, location: {rack_id: 'r1', start_u: 0}, name: 'n1', status: 'ACTIVE', template_id: 'tpl-1', type: 'Network'}),
        ConcertimValidationError,
      )
      expect(err.fields).to.deep.equal({
        end_u: ['must be greater than 0'],
        name: ['has already been taken'],
        start_u: ['is occupied', 'is not a number'],
        template: ['must use the network template'],
      })
    })

    it('rack delete conflict {"errors":"rack is not empty"}', async () => {
      fake.api = (_s, res) => json(res, 422, {errors: 'rack is not empty'})
      const err = await failure(client.deleteRack('r1'), ConcertimValidationError)
      expect(err.fields).to.deep.equal({base: ['rack is not empty']})
      expect(err.message).to.contain('rack is not empty')
    })

    it('user/team delete conflict {"errors":[{status,title,description}]}', async () => {
      fake.api = (_s, res) => json(res, 422, {errors: [{description: 'Cannot delete team as they have active racks', status: '422', title: 'Unprocessable Content'}]})
      const err = await failure(client.deleteTeam('t1'), ConcertimValidationError)
      expect(err.fields).to.deep.equal({base: ['Cannot delete team as they have active racks']})
    })

    it('an empty 422 {} (no cloud configuration) still fails, with no fields', async () => {
      fake.api = (_s, res) => json(res, 422, {})
      const err = await failure(client.deleteUser('u1'), ConcertimValidationError)
      expect(err.fields).to.deep.equal({})
      expect(err.message).to.contain('no reason given')
    })
  })

  describe('404', () => {
    it('single-object reads return null for an unknown record', async () => {
      fake.api = (_s, res) => json(res, 404, NOT_FOUND_RECORD)
      expect(await client.rack('nope')).to.equal(null)
      expect(await client.device('nope')).to.equal(null)
    })

    it('deletes return false when the record is already gone', async () => {
      fake.api = (_s, res) => json(res, 404, NOT_FOUND_RECORD)
      expect(await client.deleteDevice('gone')).to.equal(false)
      expect(await client.deleteRack('gone', {recurse: true})).to.equal(false)
    })

    it('a missing route (wrong URL) is an error, not "not found"', async () => {
      fake.api = (_s, res) => json(res, 404, {error: 'Not Found', status: 404})
      const err = await failure(client.rack('r1'), HttpError)
      expect(err.status).to.equal(404)
    })

    it('updates of an unknown record throw', async () => {
      fake.api = (_s, res) => json(res, 404, NOT_FOUND_RECORD)
      const err = await failure(client.updateRack('nope', {status: 'ACTIVE'}), HttpError)
      expect(err.isNotFound).to.equal(true)
    })
  })

  describe('request bodies (concertim-api.md §5)', () => {
    let last: Seen | undefined
    beforeEach(() => {
      last = undefined
      fake.api = (s, res) => {
        last = s
        if (s.method === 'DELETE') return json(res, 200, {})
        if (s.path.startsWith('/api/v1/racks')) return json(res, 200, rack)
        if (s.path.startsWith('/api/v1/teams')) return json(res, 200, team)
        if (s.path.startsWith('/api/v1/templates')) return json(res, 200, template)
        if (s.path.startsWith('/api/v1/users')) return json(res, 200, {cloud_user_id: 'os-u', email: 'a@b', fullname: 'A', id: 'u1', login: 'alice', name: 'A', root: false, status: 'active', team_roles: []})
        return json(res, 200, {...instanceListForm, template, template_id: undefined})
      }
    })

    it('createRack wraps in "rack", sends money as a string and keeps metadata as an object', async () => {
      await client.createRack({cost: 0, metadata: {openstack_stack_id: 's1'}, name: 'stack-1', order_id: 'ord-1', status: 'IN_PROGRESS', team_id: 't1', u_height: 42})
      expect(last?.method).to.equal('POST')
      expect(last?.path).to.equal('/api/v1/racks')
      expect(last?.body).to.deep.equal({rack: {cost: '0', metadata: {openstack_stack_id: 's1'}, name: 'stack-1', order_id: 'ord-1', status: 'IN_PROGRESS', team_id: 't1', u_height: 42}})
    })

    it('updateRack sends only the keys given', async () => {
      await client.updateRack('r1', {cost: 12.5, status: 'STOPPED'})
      expect(last?.method).to.equal('PATCH')
      expect(last?.path).to.equal('/api/v1/racks/r1')
      expect(last?.body).to.deep.equal({rack: {cost: '12.5', status: 'STOPPED'}})
    })

    it('deleteRack sends ?recurse=true only when asked', async () => {
      expect(await client.deleteRack('r1', {recurse: true})).to.equal(true)
      expect(last?.query.get('recurse')).to.equal('true')
      await client.deleteRack('r1')
      expect(last?.query.has('recurse')).to.equal(false)
    })

    it('createDevice posts to /nodes with template_id at the top and typed details', async () => {
      await client.createDevice({
        description: 'vol',
        details: {bootable: false, size: 2, volume_type: '__DEFAULT__'},
        location: {rack_id: 'r1', start_u: 5},
        metadata: {openstack_instance_id: 'v1', openstack_stack_id: 's1'},
        name: 'vol-1',
        status: 'AVAILABLE',
        template_id: 'tpl-vol',
        type: 'Volume',
      })
      expect(last?.path).to.equal('/api/v1/nodes')
      expect(last?.body).to.deep.equal({
        device: {
          description: 'vol',
          details: {bootable: false, size: 2, type: 'Device::VolumeDetails', volume_type: '__DEFAULT__'},
          location: {facing: 'f', rack_id: 'r1', start_u: 5},
          metadata: {openstack_instance_id: 'v1', openstack_stack_id: 's1'},
          name: 'vol-1',
          status: 'AVAILABLE',
          type: 'Volume',
        },
        template_id: 'tpl-vol',
      })
    })

    it('updateDevice is partial, details without type; moveDevice sends facing and start_u only', async () => {
      await client.updateDevice('d1', {cost: '3.10', details: {ssh_key: 'x'}, status: 'STOPPED'})
      expect(last?.method).to.equal('PATCH')
      expect(last?.path).to.equal('/api/v1/devices/d1')
      expect(last?.body).to.deep.equal({device: {cost: '3.10', details: {ssh_key: 'x'}, status: 'STOPPED'}})
      await client.moveDevice('d1', {facing: 'b', start_u: 3})
      expect(last?.body).to.deep.equal({device: {location: {facing: 'b', start_u: 3}}})
    })

    it('setDeviceCost and setRackCost send only the cost and resolve without reading the answer back', async () => {
      fake.api = (s, res) => {
        last = s
        json(res, 200, 'not a device record')
      }
      expect(await client.setDeviceCost('d1', 3.1)).to.equal(undefined)
      expect(last?.method).to.equal('PATCH')
      expect(last?.path).to.equal('/api/v1/devices/d1')
      expect(last?.body).to.deep.equal({device: {cost: '3.1'}})
      expect(await client.setRackCost('r1', '12.50')).to.equal(undefined)
      expect(last?.path).to.equal('/api/v1/racks/r1')
      expect(last?.body).to.deep.equal({rack: {cost: '12.50'}})
    })

    it('setDeviceCost refused (422): a ConcertimValidationError with the field messages', async () => {
      fake.api = (_s, res) => json(res, 422, {errors: {cost: ['must be greater than or equal to 0']}})
      const err = await failure(client.setDeviceCost('d1', -1), ConcertimValidationError)
      expect(err.fields).to.deep.equal({cost: ['must be greater than or equal to 0']})
    })

    it('updateTeam sends money as strings and dates as given', async () => {
      await client.updateTeam('t1', {billing_period_end: '2024-06-01', billing_period_start: '2024-05-01', cost: 12, credits: 25.5})
      expect(last?.path).to.equal('/api/v1/teams/t1')
      expect(last?.body).to.deep.equal({team: {billing_period_end: '2024-06-01', billing_period_start: '2024-05-01', cost: '12', credits: '25.5'}})
    })

    it('updateUser sends cloud_user_id only; templates wrap in "template"', async () => {
      await client.updateUser('u1', {cloud_user_id: 'os-u'})
      expect(last?.body).to.deep.equal({user: {cloud_user_id: 'os-u'}})
      await client.createTemplate({description: 'd', disk: 10, foreign_id: 'f1', height: 2, name: 'm1.small', ram: 2048, vcpus: 2})
      expect(last?.body).to.deep.equal({template: {description: 'd', disk: 10, foreign_id: 'f1', height: 2, name: 'm1.small', ram: 2048, vcpus: 2}})
      await client.updateTemplate('tpl-1', {name: 'm1.smaller'})
      expect(last?.method).to.equal('PATCH')
      expect(last?.body).to.deep.equal({template: {name: 'm1.smaller'}})
      await client.deleteTemplate('tpl-1', {recurse: true})
      expect(last?.query.get('recurse')).to.equal('true')
    })

    it('ids are escaped in paths', async () => {
      await client.device('a/b c')
      expect(last?.path).to.equal('/api/v1/devices/a%2Fb%20c')
    })
  })

  describe('responses as typed records', () => {
    it('gathers flat device details by type, keeps template_id in list form and template in full form', async () => {
      const network = {
        admin_state_up: true,
        cost: '0.00',
        description: null,
        dns_domain: null,
        id: 'd2',
        l2_adjacency: null,
        location: {...location, end_u: 42, start_u: 42},
        metadata: {},
        mtu: 1500,
        name: 'net-1',
        port_security_enabled: true,
        qos_policy: null,
        shared: false,
        status: 'ACTIVE',
        template_id: 'tpl-net',
        type: 'Network',
      }
      fake.api = (s, res) => (s.path === '/api/v1/devices' ? json(res, 200, [instanceListForm, network]) : json(res, 200, {...instanceListForm, template, template_id: undefined}))
      const [instance, net] = await client.devices()
      expect(instance.type).to.equal('Instance')
      expect(instance.details).to.deep.equal({login_user: 'ubuntu', private_ips: "['10.0.0.5']", public_ips: '1.1.1.1, 2.2.2.2', ssh_key: 'abc', volume_details: {id: 'abc'}})
      expect(instance.template_id).to.equal('tpl-1')
      expect(instance.template).to.equal(undefined)
      expect(instance.location).to.deep.equal(location)
      expect(net.type).to.equal('Network')
      expect(net.details).to.deep.equal({admin_state_up: true, dns_domain: null, l2_adjacency: null, mtu: 1500, port_security_enabled: true, qos_policy: null, shared: false})
      const full = await client.device('d1')
      expect(full?.template).to.deep.equal(template)
      expect(full?.template_id).to.equal('tpl-1')
    })

    it('reads the older nested details form', async () => {
      const nested = {...instanceListForm, details: {public_ips: "['8.8.8.8']", ssh_key: 'k', type: 'Device::ComputeDetails'}, type: undefined}
      fake.api = (_s, res) => json(res, 200, [nested])
      const [device] = await client.devices()
      expect(device.type).to.equal('Instance')
      expect(device.details).to.deep.include({public_ips: "['8.8.8.8']", ssh_key: 'k', volume_details: null})
    })

    it('a rack shows its devices and owner team', async () => {
      fake.api = (_s, res) => json(res, 200, {...rack, devices: [instanceListForm]})
      const r = await client.rack('r1')
      expect(r?.owner).to.deep.equal(team)
      const device = r?.devices?.[0]
      expect(device?.type === 'Instance' && device.details.ssh_key).to.equal('abc')
      expect(r?.cost).to.equal('0.00')
    })

    it('unwraps team_roles of single-user responses; no cloud_user_id key for root', async () => {
      const role = {id: 'tr1', team_id: 't1', user_id: 'u1'}
      fake.api = (s, res) =>
        s.path === '/api/v1/users/current'
          ? json(res, 200, {email: 'admin@test.com', fullname: 'System Administrator', id: 'u0', login: 'admin', name: 'System Administrator', root: true, status: 'active', team_roles: [{team_role: role}]})
          : json(res, 200, [{cloud_user_id: null, email: 'a@b', fullname: 'A', id: 'u1', login: 'alice', name: 'A', root: false, status: 'pending deletion', team_roles: [role]}])
      const me = await client.currentUser()
      expect(me.team_roles).to.deep.equal([role])
      expect('cloud_user_id' in me).to.equal(false)
      const [alice] = await client.users()
      expect(alice.team_roles).to.deep.equal([role])
      expect(alice.cloud_user_id).to.equal(null)
      expect(alice.status).to.equal('pending deletion')
    })

    it('team(id) looks the team up in the list (there is no GET /teams/:id)', async () => {
      fake.api = (_s, res) => json(res, 200, [team])
      expect(await client.team('t1')).to.deep.equal(team)
      expect(await client.team('other')).to.equal(null)
      expect(fake.apiCalls.every((c) => c.path === '/api/v1/teams')).to.equal(true)
    })

    it('reads data source maps and the metric structure', async () => {
      fake.api = (s, res) =>
        s.path === '/api/v1/data-source-maps'
          ? json(res, 200, {unspecified: {unspecified: {'device:d1': 'd1'}}})
          : json(res, 200, [{format: '%s %', id: 'cpu_load', max: 99, min: 0, name: 'cpu_load', units: '%'}])
      expect(await client.dataSourceMap()).to.deep.equal({unspecified: {unspecified: {'device:d1': 'd1'}}})
      expect((await client.metricStructure())[0].id).to.equal('cpu_load')
    })
  })

  describe('createConcertim', () => {
    it('defaults the MRD to <concertim_url>/mrd and the rack height to 42', () => {
      const c = createConcertim({concertim_password: 'pw', concertim_url: 'https://c.example:7443/', concertim_username: 'admin'})
      expect(c.api.baseUrl).to.equal('https://c.example:7443')
      expect(c.mrd.baseUrl).to.equal('https://c.example:7443/mrd')
      expect(c.defaultRackHeight).to.equal(42)
    })

    it('takes mrd_url and default_rack_height from the section', () => {
      const c = createConcertim({concertim_password: 'pw', concertim_url: 'https://c.example:7443', concertim_username: 'admin', default_rack_height: 48, mrd_url: 'http://127.0.0.1:43000'})
      expect(c.mrd.baseUrl).to.equal('http://127.0.0.1:43000')
      expect(c.defaultRackHeight).to.equal(48)
    })
  })
})

describe('jwtExpiry (lib/concertim/client)', () => {
  const jwt = (claims: unknown) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
  const cases: [string, string, number | undefined][] = [
    ['an exp claim (seconds) → ms', jwt({exp: 1_795_000_000, sub: '1'}), 1_795_000_000_000],
    ['no exp claim', jwt({sub: '1'}), undefined],
    ['a non-numeric exp', jwt({exp: 'tomorrow'}), undefined],
    ['not a JWT', 'jwt-1', undefined],
    ['a payload that is not JSON', 'h.bm90IGpzb24.sig', undefined],
  ]
  for (const [what, token, expected] of cases) {
    it(what, () => {
      expect(jwtExpiry(token)).to.equal(expected)
    })
  }
})
