import {expect} from 'chai'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import {getJson, login} from '../../support/openstack-client.js'

const UNAUTHORIZED = {error: {code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized'}}

describe('simulator authentication and error shapes', () => {
  let sim: Simulator
  let clock = Date.UTC(2026, 5, 1)

  before(async () => {
    sim = await startSimulator({now: () => clock, preset: 'small', tokenTtlSec: 60})
  })
  after(async () => sim.stop())

  const tokenRequest = (auth: unknown) =>
    fetch(`${sim.endpoints.keystone}/v3/auth/tokens`, {body: JSON.stringify({auth}), headers: {'content-type': 'application/json'}, method: 'POST'})

  it('keystone rejects a wrong password with its 401 body, and scopes by id or by name + domain', async () => {
    const bad = await tokenRequest({identity: {methods: ['password'], password: {user: {domain: {name: 'Default'}, name: 'admin', password: 'wrong'}}}, scope: {project: {domain: {name: 'Default'}, name: 'admin'}}})
    expect(bad.status).to.equal(401)
    expect(await bad.json()).to.deep.equal(UNAUTHORIZED)
    const byId = await tokenRequest({identity: {methods: ['password'], password: {user: {id: sim.cloud.adminUserId, password: sim.credentials.keystone.password}}}, scope: {project: {id: sim.cloud.adminProjectId}}})
    expect(byId.status).to.equal(201)
    const noRole = await tokenRequest({identity: {methods: ['password'], password: {user: {id: sim.cloud.adminUserId, password: sim.credentials.keystone.password}}}, scope: {project: {domain: {id: 'default'}, name: 'service'}}})
    expect(noRole.status).to.equal(401)
  })

  it('keystone catalog points at every simulated OpenStack service with three interfaces in RegionOne', async () => {
    const res = await tokenRequest({identity: {methods: ['password'], password: {user: {domain: {id: 'default'}, name: 'admin', password: sim.credentials.keystone.password}}}, scope: {project: {domain: {id: 'default'}, name: 'admin'}}})
    const body = (await res.json()) as {token: {catalog: {endpoints: {interface: string; region_id: string; url: string}[]; type: string}[]; expires_at: string; issued_at: string}}
    const types = body.token.catalog.map((c) => c.type)
    expect(types).to.include.members(['identity', 'compute', 'network', 'volumev3', 'block-storage', 'orchestration', 'metric', 'rating'])
    const compute = body.token.catalog.find((c) => c.type === 'compute')
    expect(compute?.endpoints.map((e) => e.interface).sort()).to.deep.equal(['admin', 'internal', 'public'])
    expect(compute?.endpoints[0].url).to.equal(`${sim.endpoints.nova}/v2.1`)
    const heat = body.token.catalog.find((c) => c.type === 'orchestration')
    expect(heat?.endpoints[0].url).to.equal(`${sim.endpoints.heat}/v1/${sim.cloud.adminProjectId}`)
    expect(Date.parse(body.token.expires_at) - Date.parse(body.token.issued_at)).to.equal(60_000)
  })

  it('tokens expire after the TTL: services answer keystonemiddleware 401, keystone 404 on validation', async () => {
    const s = await login(sim)
    expect((await getJson(`${sim.endpoints.nova}/v2.1/flavors/detail`, s.token)).status).to.equal(200)
    const valid = await fetch(`${sim.endpoints.keystone}/v3/auth/tokens`, {headers: {'x-auth-token': s.token, 'x-subject-token': s.token}})
    expect(valid.status).to.equal(200)
    clock += 61_000
    const expired = await getJson(`${sim.endpoints.nova}/v2.1/flavors/detail`, s.token)
    expect(expired.status).to.equal(401)
    expect(expired.body).to.deep.equal(UNAUTHORIZED)
    expect(expired.headers.get('www-authenticate')).to.equal(`Keystone uri="${sim.endpoints.keystone}"`)
    const fresh = await login(sim)
    const check = await fetch(`${sim.endpoints.keystone}/v3/auth/tokens`, {headers: {'x-auth-token': fresh.token, 'x-subject-token': s.token}})
    expect(check.status).to.equal(404)
  })

  it('every service requires a token except its version document', async () => {
    for (const url of [`${sim.endpoints.nova}/v2.1/servers/detail`, `${sim.endpoints.heat}/v1/x/stacks`, `${sim.endpoints.cinder}/v3/x/volumes/detail`, `${sim.endpoints.neutron}/v2.0/networks`, `${sim.endpoints.gnocchi}/v1/resource/instance`, `${sim.endpoints.cloudkitty}/v2/summary`]) {
       
      const res = await getJson(url, 'not-a-token')
      expect(res.status, url).to.equal(401)
      expect(res.body, url).to.deep.equal(UNAUTHORIZED)
    }
    const keystone = await fetch(`${sim.endpoints.keystone}/`)
    expect(keystone.status).to.equal(300)
    expect(((await keystone.json()) as {versions: {values: {id: string}[]}}).versions.values[0].id).to.equal('v3.14')
    const v3 = await fetch(`${sim.endpoints.keystone}/v3`)
    expect(((await v3.json()) as {version: {status: string}}).version.status).to.equal('stable')
    const nova = await fetch(`${sim.endpoints.nova}/`)
    expect(((await nova.json()) as {versions: {id: string; version: string}[]}).versions.map((v) => v.id)).to.deep.equal(['v2.0', 'v2.1'])
  })

  it('404s have each service\'s real shape', async () => {
    const s = await login(sim)
    expect((await getJson(`${sim.endpoints.nova}/v2.1/servers/abc`, s.token)).body).to.deep.equal({itemNotFound: {code: 404, message: 'Instance abc could not be found.'}})
    expect((await getJson(`${sim.endpoints.cinder}/v3/${s.projectId}/volumes/abc`, s.token)).body).to.deep.equal({itemNotFound: {code: 404, message: 'Volume abc could not be found.'}})
    expect((await getJson(`${sim.endpoints.neutron}/v2.0/networks/abc`, s.token)).body).to.deep.equal({NeutronError: {detail: '', message: 'Network abc could not be found.', type: 'NetworkNotFound'}})
    const heat = await getJson(`${sim.endpoints.heat}/v1/${s.projectId}/stacks/abc/def`, s.token)
    expect(heat.status).to.equal(404)
    expect(heat.body).to.deep.include({code: 404, title: 'Not Found'})
    expect((heat.body as {error: {type: string}}).error.type).to.equal('EntityNotFound')
    const gnocchi = await getJson(`${sim.endpoints.gnocchi}/v1/metric/abc/measures`, s.token)
    expect(gnocchi.body).to.deep.equal({code: 404, description: 'Metric abc does not exist', title: 'Not Found'})
  })

  it('heat redirects /stacks/{id} and /stacks/{name} to /stacks/{name}/{id} with 302; names resolve within the project', async () => {
    const team = sim.cloud.teams[0]
    const s = await login(sim, `CM_${team.users[1].login}`, team.users[1].password, team.projectName)
    const stack = sim.world.stacks.get(team.stackIds[0])
    if (stack === undefined) throw new Error('no stack')
    for (const key of [stack.id, stack.name]) {
       
      const res = await getJson(`${sim.endpoints.heat}/v1/${s.projectId}/stacks/${key}`, s.token)
      expect(res.status).to.equal(302)
      expect(res.headers.get('location')).to.equal(`${sim.endpoints.heat}/v1/${s.projectId}/stacks/${encodeURIComponent(stack.name)}/${stack.id}`)
    }
    const admin = await login(sim)
    expect((await getJson(`${sim.endpoints.heat}/v1/${admin.projectId}/stacks/${stack.name}`, admin.token)).status).to.equal(404)
  })

  it('keystone lists what doctor checks: roles, users, role assignments', async () => {
    const s = await login(sim)
    const roles = (await getJson(`${sim.endpoints.keystone}/v3/roles`, s.token)).body as {roles: {name: string}[]}
    expect(roles.roles.map((r) => r.name)).to.include.members(['admin', 'member', 'watcher', 'rating'])
    const users = (await getJson(`${sim.endpoints.keystone}/v3/users?name=cloudkitty`, s.token)).body as {users: {name: string}[]}
    expect(users.users.map((u) => u.name)).to.deep.equal(['cloudkitty'])
    const projects = (await getJson(`${sim.endpoints.keystone}/v3/projects`, s.token)).body as {projects: {name: string}[]}
    expect(projects.projects.filter((p) => p.name.startsWith('CM_'))).to.have.length(3)
    const ra = (await getJson(`${sim.endpoints.keystone}/v3/role_assignments?scope.project.id=${sim.cloud.teams[0].projectId}&include_names=true`, s.token)).body as {
      role_assignments: {role: {name: string}; user: {name: string}}[]
    }
    expect(ra.role_assignments.map((a) => `${a.user.name}:${a.role.name}`)).to.include.members(['admin:admin', 'concertim:watcher', 'cloudkitty:rating'])
  })
})
