/**
 * `serve` end to end: the simulated Concertim app's job runner calls a real server over HTTP with
 * real JWTs; the server acts on the simulated OpenStack with the caller's credentials and
 * reconciles the affected entity into the simulated Concertim at once.
 */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {SignJWT, UnsecuredJWT} from 'jose'
import {request} from 'undici'

import {JobCallError} from '../../../src/sim/concertim/job-runner.js'
import type {Server} from '../../../src/sim/world.js'
import {JWT_SECRET, type ServeWorld, startServeWorld} from './support.js'
import {failure as failed} from '../../support/failure.js'

const key = new TextEncoder().encode(JWT_SECRET)

async function raw(w: ServeWorld, method: 'DELETE' | 'GET' | 'POST', path: string, body: unknown, token: string | undefined): Promise<{body: Record<string, unknown>; status: number; text: string}> {
  const res = await request(`${w.baseUrl}${path}`, {
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: {...(token === undefined ? {} : {authorization: `Bearer ${token}`}), ...(body === undefined ? {} : {'content-type': 'application/json'})},
    method,
  })
  const text = await res.body.text()
  let parsed: Record<string, unknown> = {}
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    // text/plain
  }
  return {body: parsed, status: res.statusCode, text}
}

const failure = async (p: Promise<unknown>): Promise<JobCallError> => failed(p, JobCallError)

const deviceOf = (w: ServeWorld, serverId: string) => [...w.sim.concertim.devices.values()].find((d) => d.metadata.openstack_instance_id === serverId)

describe('serve: the HTTP API the Concertim app calls', function () {
  this.timeout(60_000)
  let w: ServeWorld
  let server: Server

  before(async () => {
    w = await startServeWorld()
    await w.sync()
    const found = w.sim.world.servers.all().find((s) => s.stackId !== null && s.vmState === 'active' && deviceOf(w, s.id) !== undefined)
    if (found === undefined) throw new Error('no active server in a stack')
    server = found
  })
  after(async () => w?.stop())

  it('GET / answers 200 Running without a token', async () => {
    const r = await raw(w, 'GET', '/', undefined, undefined)
    expect(r.status).to.equal(200)
    expect(r.text).to.equal('Running\n')
  })

  it('GET /healthz: ready when Keystone and Kill Bill answer, without a token and without credentials', async () => {
    const r = await raw(w, 'GET', '/healthz', undefined, undefined)
    expect(r.status).to.equal(200)
    expect(r.body).to.deep.equal({checks: {keystone: 'ok', killbill: 'ok'}, ready: true})
    expect(r.text).to.not.include(w.sim.credentials.keystone.password)
  })

  it('a body over api.body_limit is 413 in the app\'s error shape', async () => {
    const e = await failure(w.runner.call('POST', '/key_pairs', {cloud_env: {}, pad: 'x'.repeat(2_000_000)}))
    expect(e.status).to.equal(413)
    expect(e.body).to.deep.include({error: 'PayloadTooLarge', success: false})
  })

  describe('status changes', () => {
    it('off reaches Concertim\'s device status without a sync; twice in a row is one stop', async () => {
      const u = w.user(server.projectId)
      const first = await w.runner.requestStatusChange('instances', server.id, 'off', u.cloudEnv)
      expect(first.status).to.equal(201)
      expect(first.body).to.deep.include({success: true})
      expect((first.body.cloud_response as {submitted: boolean}).submitted).to.equal(true)
      expect((first.body.reconciled as {state: string}).state).to.equal('done')
      expect(w.sim.world.servers.get(server.id)?.vmState).to.equal('stopped')
      expect(deviceOf(w, server.id)?.status).to.equal('STOPPED')
      // The app's retry: Nova would answer 409; serve says it is done already.
      const second = await w.runner.requestStatusChange('instances', server.id, 'off', u.cloudEnv)
      expect(second.status).to.equal(201)
      expect(second.body.cloud_response).to.deep.include({already: 'done', submitted: false})
      const on = await w.runner.requestStatusChange('instances', server.id, 'on', u.cloudEnv)
      expect(on.status).to.equal(201)
      expect(deviceOf(w, server.id)?.status).to.equal('ACTIVE')
    })

    it('a wrong state is Nova\'s 409 with its message; an unknown type or action is 406', async () => {
      const u = w.user(server.projectId)
      const stopped = w.sim.changes.createServer({name: 'cos-test-stopped', projectId: server.projectId})
      w.sim.changes.stopServer(stopped.id)
      const suspend = await failure(w.runner.requestStatusChange('instances', stopped.id, 'suspend', u.cloudEnv))
      expect(suspend.status).to.equal(409)
      expect(suspend.body).to.deep.include({error: 'Conflict', success: false})
      expect((suspend.body as {message: string}).message).to.match(/Cannot 'suspend' instance .* vm_state stopped/)
      // resume of a running server: what was asked is there already.
      expect((await w.runner.requestStatusChange('instances', server.id, 'resume', u.cloudEnv)).body.cloud_response).to.deep.include({already: 'done'})
      const badType = await failure(w.runner.requestStatusChange('servers', server.id, 'off', u.cloudEnv))
      expect(badType.status).to.equal(406)
      expect(badType.body).to.deep.include({error: 'InvalidAPICall', success: false})
      const badAction = await failure(w.runner.requestStatusChange('volumes', server.id, 'off', u.cloudEnv))
      expect(badAction.status).to.equal(406)
      expect((badAction.body as {message: string}).message).to.include('destroy, detach')
    })

    it('a member acting on another project\'s server gets Nova\'s 404, nothing changes', async () => {
      const other = w.sim.world.servers.all().find((s) => s.projectId !== server.projectId && s.vmState === 'active')
      if (other === undefined) throw new Error('no server of another project')
      const u = w.user(server.projectId)
      for (const action of ['off', 'destroy']) {
        const e = await failure(w.runner.requestStatusChange('instances', other.id, action, u.cloudEnv))
        expect(e.status, action).to.equal(404)
      }
      expect(w.sim.world.servers.get(other.id)?.vmState).to.equal('active')
    })

    it('destroy deletes the server and its device; the retry is a success that says it is gone', async () => {
      const victim = w.sim.changes.createServer({name: 'cos-test-victim', projectId: server.projectId})
      await w.sync()
      expect(deviceOf(w, victim.id)).to.equal(undefined, 'standalone servers are not shown: the reconcile only has to keep it so')
      const u = w.user(server.projectId)
      const first = await w.runner.requestStatusChange('instances', victim.id, 'destroy', u.cloudEnv)
      expect(first.status).to.equal(201)
      expect(w.sim.world.servers.get(victim.id)).to.equal(undefined)
      const again = await w.runner.requestStatusChange('instances', victim.id, 'destroy', u.cloudEnv)
      expect(again.status).to.equal(201)
      expect(again.body.cloud_response).to.deep.include({already: 'gone', submitted: false})
    })

    it('racks suspend and resume through Heat; the device follows', async () => {
      const stackId = server.stackId as string
      const u = w.user(server.projectId)
      const res = await w.runner.requestStatusChange('racks', stackId, 'suspend', u.cloudEnv)
      expect(res.status).to.equal(201)
      expect(res.body.cloud_response).to.deep.include({attempt: {}, submitted: true})
      expect(w.sim.world.stacks.get(stackId)?.status).to.equal('SUSPEND_COMPLETE')
      expect(w.sim.world.servers.get(server.id)?.vmState).to.equal('suspended')
      const again = await w.runner.requestStatusChange('racks', stackId, 'suspend', u.cloudEnv)
      expect(again.body.cloud_response).to.deep.include({already: 'done'})
      await w.runner.requestStatusChange('racks', stackId, 'resume', u.cloudEnv)
      expect(w.sim.world.servers.get(server.id)?.vmState).to.equal('active')
    })

    it('volumes: detach (through Nova) then destroy; each twice is one', async () => {
      const u = w.user(server.projectId)
      const vol = w.sim.changes.createVolume({name: 'cos-test-vol', projectId: server.projectId, size: 1})
      w.sim.changes.attachVolume(vol.id, server.id)
      const refused = await failure(w.runner.requestStatusChange('volumes', vol.id, 'destroy', u.cloudEnv))
      expect(refused.status, 'Cinder refuses to delete an attached volume').to.equal(400)
      expect((await w.runner.requestStatusChange('volumes', vol.id, 'detach', u.cloudEnv)).body.cloud_response).to.deep.include({submitted: true})
      expect(w.sim.world.servers.get(server.id)?.volumeIds).to.not.include(vol.id)
      expect((await w.runner.requestStatusChange('volumes', vol.id, 'detach', u.cloudEnv)).body.cloud_response).to.deep.include({already: 'done'})
      expect((await w.runner.requestStatusChange('volumes', vol.id, 'destroy', u.cloudEnv)).body.cloud_response).to.deep.include({submitted: true})
      expect(w.sim.world.volumes.get(vol.id)).to.equal(undefined)
      expect((await w.runner.requestStatusChange('volumes', vol.id, 'destroy', u.cloudEnv)).body.cloud_response).to.deep.include({already: 'gone'})
    })

    it('networks: floating IPs dissociated, router interfaces removed, ports deleted, then the network', async () => {
      const net = w.sim.changes.createNetwork({name: 'cos-test-net', projectId: server.projectId})
      const vm = w.sim.changes.createServer({name: 'cos-test-netvm', networkIds: [net.id], projectId: server.projectId})
      const rp = w.sim.changes.addRouterInterface(net.id)
      const fip = w.sim.changes.addFloatingIp(vm.id, rp.routerId)
      const u = w.user(server.projectId)
      const res = await w.runner.requestStatusChange('networks', net.id, 'destroy', u.cloudEnv)
      expect(res.status).to.equal(201)
      const steps = (res.body.cloud_response as {steps: string[]}).steps
      expect(steps.map((s) => s.split(' ').slice(0, 2).join(' '))).to.deep.equal(['dissociate floating', 'remove router', 'delete port', 'delete network'])
      expect(w.sim.world.floatingIps.get(fip.id)?.portId).to.equal(null)
      expect(w.sim.world.networks.get(net.id)).to.equal(undefined)
      const again = await w.runner.requestStatusChange('networks', net.id, 'destroy', u.cloudEnv)
      expect(again.body.cloud_response).to.deep.include({already: 'gone'})
    })
  })

  describe('key pairs, limits, quotas, statistics', () => {
    it('create (generated), list, delete with the user\'s own credentials; each twice is one key pair', async () => {
      const u = w.user(server.projectId)
      const made = await w.runner.createKeyPair(u.cloudEnv, {key_type: 'ssh', name: 'cos-test-gen', public_key: null})
      const kp = made.body.key_pair as Record<string, unknown>
      expect(kp.private_key).to.match(/BEGIN PRIVATE KEY/)
      expect(kp.fingerprint).to.match(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/)
      const again = await failure(w.runner.createKeyPair(u.cloudEnv, {key_type: 'ssh', name: 'cos-test-gen', public_key: null}))
      expect(again.status).to.equal(409)
      expect((again.body as {message: string}).message).to.include('private key was given only when it was made')
      const pub = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXz4VqL2u7bTNQj0h8jvZfL0pQ+3n1vHrVwWl2bW8Xc cos@test'
      const imported = await w.runner.createKeyPair(u.cloudEnv, {key_type: 'ssh', name: 'cos-test-imp', public_key: pub})
      const twice = await w.runner.createKeyPair(u.cloudEnv, {key_type: 'ssh', name: 'cos-test-imp', public_key: pub})
      expect(twice.body.key_pair).to.deep.equal(imported.body.key_pair)
      const list = (await w.runner.getKeyPairs(u.cloudEnv)).body.key_pairs as {name: string}[]
      expect(list.map((k) => k.name)).to.deep.equal(['cos-test-gen', 'cos-test-imp'])
      expect(list.every((k) => !('private_key' in k))).to.equal(true)
      // Another user of the same project sees none of them.
      expect((await w.runner.getKeyPairs(w.user(server.projectId).cloudEnv)).body.key_pairs).to.deep.equal([])
      for (let i = 0; i < 2; i++) expect((await w.runner.deleteKeyPair(u.cloudEnv, 'cos-test-gen')).body).to.deep.equal({key_pair_name: 'cos-test-gen', success: true})
      expect([...w.sim.world.keyPairs.keys()].filter((k) => k.startsWith(u.userId))).to.have.length(1)
    })

    it('limits are the caller\'s project\'s; quotas and statistics the admin\'s', async () => {
      const u = w.user(server.projectId)
      const limits = (await w.runner.getLimits(u.cloudEnv)).body.limits as Record<string, number>
      expect(limits.totalInstancesUsed).to.equal(w.sim.world.servers.partition(server.projectId).length)
      for (const k of ['maxTotalCores', 'maxTotalInstances', 'maxTotalVolumes', 'maxTotalVolumeGigabytes', 'maxTotalRAMSize', 'totalCoresUsed', 'totalVolumesUsed', 'totalGigabytesUsed', 'totalRAMUsed']) expect(limits).to.have.property(k)
      const quotas = await w.runner.call('GET', `/team/${server.projectId}/quotas`)
      expect(quotas.body.quotas).to.include({cores: 20, network: 100, volumes: 10})
      const stats = (await w.runner.getStatistics()).body.stats as Record<string, number>
      expect(Object.keys(stats).sort()).to.deep.equal(['running_vms', 'total_disk_space', 'total_ram', 'total_vcpus', 'used_disk_space', 'used_ram', 'used_vcpus'])
    })

    it('Keystone authenticates each caller once, however many requests it makes', async () => {
      const u = w.user(server.projectId)
      const before = w.runtime.sessions.authentications
      for (let i = 0; i < 5; i++) await w.runner.getKeyPairs(u.cloudEnv)
      expect(w.runtime.sessions.authentications - before).to.equal(1)
    })

    it('a wrong password is 401 CloudAuthenticationError, never echoed', async () => {
      const u = w.user(server.projectId)
      const e = await failure(w.runner.getKeyPairs({...u.cloudEnv, password: 'not-the-right-one-xyz'}))
      expect(e.status).to.equal(401)
      expect(e.body).to.deep.include({error: 'CloudAuthenticationError', success: false})
      expect(JSON.stringify(e.body)).to.not.include('not-the-right-one-xyz')
    })
  })

  describe('tokens', () => {
    const sign = async (claims: Record<string, unknown>, opts: {exp?: number; iat?: number; secret?: Uint8Array} = {}) => {
      const now = Math.floor(Date.now() / 1000)
      const jwt = new SignJWT(claims).setProtectedHeader({alg: 'HS256'}).setIssuedAt(opts.iat ?? now).setExpirationTime(opts.exp ?? now + 60)
      if (!('noJti' in claims)) jwt.setJti(randomUUID())
      return jwt.sign(opts.secret ?? key)
    }
    const statistics = async (token: string | undefined) => raw(w, 'GET', '/statistics', undefined, token)

    it('a valid token passes once; replayed, expired, unsigned, alg none, wrong secret, over-long, no exp or no jti → 401', async () => {
      const now = Math.floor(Date.now() / 1000)
      const good = await sign({})
      expect((await statistics(good)).status).to.equal(201)
      const cases: [string, string | undefined, RegExp][] = [
        ['replayed', good, /used already/],
        ['expired', await sign({}, {exp: now - 120, iat: now - 180}), /expired/],
        ['alg none', new UnsecuredJWT({exp: now + 60, jti: randomUUID()}).setIssuedAt().encode(), /HS256|malformed|not signed/],
        ['unsigned (signature stripped)', `${(await sign({})).split('.').slice(0, 2).join('.')}.`, /signature|malformed/],
        ['wrong secret', await sign({}, {secret: new TextEncoder().encode('another-secret-entirely-1234567')}), /signature/],
        ['over-long (a day-long login token)', await sign({}, {exp: now + 86_400}), /longer than the 300 s/],
        ['no exp', await new SignJWT({jti: randomUUID()}).setProtectedHeader({alg: 'HS256'}).setIssuedAt().sign(key), /exp/],
        ['no jti', await sign({noJti: true}), /jti/],
        ['no header', undefined, /Authorization/],
      ]
      for (const [what, token, message] of cases) {
        const r = await statistics(token)
        expect(r.status, what).to.equal(401)
        expect(r.body.error, what).to.equal('APIAuthenticationError')
        expect(String(r.body.message), what).to.match(message)
        expect(r.body, what).to.not.have.property('traceback')
      }
    })

    it('an RS256 token (alg confusion) is refused', async () => {
      const {generateKeyPair} = await import('jose')
      const {privateKey} = await generateKeyPair('RS256')
      const token = await new SignJWT({jti: randomUUID()}).setProtectedHeader({alg: 'RS256'}).setIssuedAt().setExpirationTime('60s').sign(privateKey)
      const r = await statistics(token)
      expect(r.status).to.equal(401)
      expect(String(r.body.message)).to.include('HS256')
    })

    it('no token, JWT secret or cloud password reaches a log line', async () => {
      const u = w.user(server.projectId)
      const token = await sign({})
      await raw(w, 'GET', '/key_pairs', {cloud_env: u.cloudEnv}, token)
      await raw(w, 'GET', '/key_pairs', {cloud_env: {...u.cloudEnv, password: 'wrong-password-zzz'}}, await sign({}))
      const all = w.logs.join('')
      for (const secret of [token, JWT_SECRET, u.cloudEnv.password, 'wrong-password-zzz']) expect(all).to.not.include(secret)
      const access = w.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.route === '/key_pairs')
      expect(access.length).to.be.at.least(2)
      expect(Object.keys(access[0]).sort()).to.deep.equal(['level', 'method', 'ms', 'msg', 'route', 'status', 'time'])
    })
  })

  describe('request validation and upstream failures', () => {
    it('a missing field is 415 naming it (nested too); a wrong type is 400', async () => {
      const u = w.user(server.projectId)
      const missing = await failure(w.runner.call('POST', `/update_status/instances/${server.id}`, {cloud_env: u.cloudEnv}))
      expect(missing.status).to.equal(415)
      expect(missing.body).to.deep.include({error: 'MissingRequiredArgument', success: false})
      expect((missing.body as {message: string}).message).to.include('action')
      const nested = await failure(w.runner.call('POST', '/key_pairs', {cloud_env: {auth_url: u.cloudEnv.auth_url}, key_pair: {}}))
      expect(nested.status).to.equal(415)
      expect((nested.body as {message: string}).message).to.include('cloud_env.password').and.include('key_pair.name')
      const empty = await failure(w.runner.call('DELETE', '/key_pairs', {}))
      expect((empty.body as {message: string}).message).to.include('cloud_env, keypair_name')
      const badType = await failure(w.runner.call('POST', `/update_status/instances/${server.id}`, {action: 5, cloud_env: u.cloudEnv}))
      expect(badType.status).to.equal(400)
      expect((badType.body as {message: string}).message).to.include('action must be string')
    })

    it('OpenStack 5xx → 502 with a message, no traceback; unreachable → 503', async () => {
      const u = w.user(server.projectId)
      w.sim.faults.set('nova', {errorRate: 1, errorStatuses: [500]})
      try {
        const e = await failure(w.runner.getKeyPairs(u.cloudEnv))
        expect(e.status).to.equal(502)
        expect(e.body).to.deep.include({error: 'UpstreamError', success: false})
        expect((e.body as {message: string}).message).to.match(/nova.*500/)
        expect(e.body).to.not.have.property('traceback')
      } finally {
        w.sim.faults.clear('nova')
      }
    })

    it('unknown routes are 404 in the app\'s error shape', async () => {
      const e = await failure(w.runner.call('POST', '/no_such_route', {}))
      expect(e.status).to.equal(404)
      expect(e.body).to.deep.include({error: 'NotFound', success: false})
    })
  })
})
