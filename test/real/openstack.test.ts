/**
 * Contract suite against a REAL OpenStack (opt-in: `npm run test:real`, never part of `npm test`).
 * Every client call of src/lib/openstack runs against the cloud named by the usual OS_* variables
 * (e.g. `. /work/shared/minicloud/adminrc`), with small page sizes so that paging is exercised.
 * It writes nothing to the cloud except revoking its own token (to prove the 401 → re-auth path).
 * What it observes (paging, error shapes, differences from the fixtures) is printed at the end.
 */
import {expect} from 'chai'

import {CallLedger, HttpClient, HttpError} from '../../src/lib/http/index.js'
import {
  AuthenticationError,
  createOpenStack,
  describeCatalog,
  EndpointNotFoundError,
  isEmbeddedFlavor,
  MicroversionError,
  NovaClient,
  type OpenStack,
} from '../../src/lib/openstack/index.js'
import type {GnocchiResource, HeatStack, NovaServer} from '../../src/lib/openstack/types.js'
import {sectionFromEnv} from './os-env.js'

const env = process.env
const MISSING_UUID = '00000000-0000-4000-8000-000000000000'
const findings: string[] = []
const note = (s: string): void => {
  findings.push(s)
}

/** Run a call that may legitimately be refused by this cloud; note how it was refused. */
async function attempt<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof EndpointNotFoundError) {
      note(`${what}: service not in the catalog — ${error.message}`)
      return undefined
    }
    throw error
  }
}

describe('REAL OpenStack contract (src/lib/openstack)', function () {
  this.timeout(120_000)
  let os: OpenStack
  const ledger = new CallLedger()

  before(function () {
    if (!env.OS_AUTH_URL) {
      console.warn('\n  *** SKIPPED: the real-OpenStack contract suite needs OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME,')
      console.warn('  *** OS_USER_DOMAIN_NAME and OS_PROJECT_DOMAIN_NAME (e.g. `. /work/shared/minicloud/adminrc`).\n')
      this.skip()
    }
    os = createOpenStack(sectionFromEnv({page_size: 2}), {ledger})
  })

  after(() => {
    if (findings.length === 0) return
    console.log('\n  Findings against the real cloud:')
    for (const f of findings) console.log(`   - ${f}`)
    console.log(`   - calls: ${JSON.stringify(ledger.bySystem())}`)
  })

  describe('keystone', () => {
    it('authenticates and reports the scope and the catalog', async () => {
      const scope = await os.keystone.scope()
      expect(scope.projectId).to.match(/^\w+$/)
      expect(scope.roles.length).to.be.greaterThan(0)
      const token = await os.keystone.token()
      note(`keystone: token lifetime ${Math.round((Date.parse(token.body.expires_at) - Date.parse(token.body.issued_at ?? '')) / 60_000)} min; roles ${scope.roles.join(',')}`)
      note(`keystone catalog: ${describeCatalog(await os.keystone.catalog()).join(' | ')}`)
      for (const type of ['compute', 'orchestration', 'block-storage', 'network', 'metric', 'rating'] as const) {
        const url = await os.keystone.endpoint(type).catch((error: unknown) => `(none: ${(error as Error).constructor.name})`)
        note(`endpoint ${type}: ${url}`)
      }
    })

    it('refuses a wrong password with an AuthenticationError carrying keystone\'s message', async () => {
      const bad = createOpenStack(sectionFromEnv({password: 'definitely-not-the-password'}))
      const err = await bad.keystone.token().catch((error: unknown) => error)
      expect(err).to.be.instanceOf(AuthenticationError)
      note(`keystone wrong password: status ${(err as AuthenticationError).status}, server message "${(err as AuthenticationError).serverMessage}"`)
      expect((err as Error).message).not.to.contain('definitely-not-the-password')
    })

    it('lists roles, finds the user by name, lists projects', async () => {
      const roles = await os.keystone.listRoles()
      expect(roles.items.map((r) => r.name)).to.include('admin')
      const users = await os.keystone.findUsersByName(env.OS_USERNAME ?? 'admin')
      expect(users).to.have.length.greaterThan(0)
      const projects = await os.keystone.listProjects()
      expect(projects.items.map((p) => p.name)).to.include(env.OS_PROJECT_NAME)
      note(`keystone lists: ${roles.items.length} roles, ${projects.items.length} projects (truncated: ${projects.truncated}); user fields: ${Object.keys(users[0]).sort().join(',')}`)
    })

    it('renews the token after a 401 and repeats the request once (own token revoked)', async () => {
      const token = await os.keystone.token()
      const before = os.keystone.authCount
      const http = new HttpClient({system: 'keystone'})
      await http.delete(`${os.keystone.identityRoot}/v3/auth/tokens`, {headers: {'X-Auth-Token': token.id, 'X-Subject-Token': token.id}})
      const {servers} = await os.nova.listServers()
      expect(servers).to.be.an('array')
      expect(os.keystone.authCount).to.equal(before + 1)
      note('keystone: a revoked token gave 401 on nova; one re-auth, request repeated: OK')
    })
  })

  describe('nova', () => {
    let servers: NovaServer[] = []

    it('lists every server of every project, paged', async () => {
      const listing = await os.nova.listServers()
      servers = listing.servers
      note(`nova: ${servers.length} servers in ${listing.pages} pages of 2 (complete: ${listing.complete}, partial: ${listing.partial.length})`)
      expect(listing.complete).to.equal(true)
      if (servers.length > 0) {
        expect(isEmbeddedFlavor(servers[0].flavor)).to.equal(true)
        const keys = Object.keys(servers[0]).sort()
        const fixtureKeys = ['OS-EXT-SRV-ATTR:host', 'OS-EXT-STS:vm_state', 'addresses', 'flavor', 'metadata', 'tenant_id', 'user_id']
        note(`nova 2.73 server keys: ${keys.join(',')}; missing vs fixture: ${fixtureKeys.filter((k) => !keys.includes(k)).join(',') || 'none'}`)
      }
      const ids = new Set(servers.map((s) => s.id))
      expect(ids.size).to.equal(servers.length)
    })

    it('gets one server; a missing one is null', async () => {
      if (servers.length > 0) expect((await os.nova.getServer(servers[0].id))?.id).to.equal(servers[0].id)
      expect(await os.nova.getServer(MISSING_UUID)).to.equal(null)
    })

    it('lists flavors (private too), paged', async () => {
      const flavors = await os.nova.listFlavors()
      expect(flavors.length).to.be.greaterThan(0)
      note(`nova: ${flavors.length} flavors (${flavors.filter((f) => f['os-flavor-access:is_public'] === false).length} private)`)
    })

    it('microversion 2.1 returns flavor references; an unsupported one is a MicroversionError', async () => {
      const old = new NovaClient(os.keystone, {microversion: '2.1', pageSize: 50})
      const {servers: v21} = await old.listServers()
      if (v21.length > 0) expect(isEmbeddedFlavor(v21[0].flavor)).to.equal(false)
      const err = await new NovaClient(os.keystone, {microversion: '2.999'}).listServers().catch((error: unknown) => error)
      expect(err).to.be.instanceOf(MicroversionError)
      note(`nova unsupported microversion: "${(err as MicroversionError).serverMessage}"`)
    })
  })

  describe('heat', () => {
    let stacks: HeatStack[] = []

    it('lists stacks of every project, paged', async () => {
      stacks = (await attempt('heat', async () => os.heat.listStacks())) ?? []
      note(`heat: ${stacks.length} stacks; project field present: ${stacks.every((s) => typeof s.project === 'string')}`)
    })

    it('gets each stack, its resources (nested) and outputs; a missing stack is null', async () => {
      for (const stack of stacks) {
        const detail = await os.heat.getStack(stack)
        expect(detail?.id).to.equal(stack.id)
        const resources = (await os.heat.listResources(stack, {nestedDepth: 3})) ?? []
        note(`heat stack ${stack.stack_name}: resources ${resources.map((r) => `${r.resource_type}${r.parent_resource ? `<${r.parent_resource}` : ''}`).join(', ')}`)
        const outputs = (await os.heat.listOutputs(stack)) ?? []
        for (const o of outputs) expect((await os.heat.getOutput(stack, o.output_key))?.output_key).to.equal(o.output_key)
        note(`heat stack ${stack.stack_name}: outputs ${outputs.map((o) => o.output_key).join(', ') || 'none'}; OS::project_id ${detail?.parameters['OS::project_id']}`)
      }
      if (stacks.length > 0) expect(await os.heat.getStack({id: MISSING_UUID, stack_name: 'no-such-stack'})).to.equal(null)
    })
  })

  describe('cinder and neutron', () => {
    it('lists volumes of every project, paged; gets one; a missing one is null', async () => {
      const volumes = await attempt('cinder', async () => os.cinder.listVolumes())
      if (volumes === undefined) return
      note(`cinder: ${volumes.length} volumes; bootable values ${[...new Set(volumes.map((v) => JSON.stringify(v.bootable)))].join(',')}`)
      if (volumes.length > 0) expect((await os.cinder.getVolume(volumes[0].id))?.id).to.equal(volumes[0].id)
      expect(await os.cinder.getVolume(MISSING_UUID)).to.equal(null)
    })

    it('lists networks (paged) and subnets; gets one network; a missing one is null', async () => {
      const networks = await os.neutron.listNetworks()
      expect(networks.length).to.be.greaterThan(0)
      const subnets = await os.neutron.listSubnets()
      const calls = ledger.summary.filter((r) => r.system === 'neutron').reduce((n, r) => n + r.count, 0)
      note(`neutron: ${networks.length} networks, ${subnets.length} subnets, ${calls} neutron calls so far (page size 2)`)
      expect((await os.neutron.getNetwork(networks[0].id))?.id).to.equal(networks[0].id)
      expect(await os.neutron.getNetwork(MISSING_UUID)).to.equal(null)
    })
  })

  describe('gnocchi', () => {
    let instances: GnocchiResource[] = []

    it('searches resources (paged by Link header)', async () => {
      instances = (await attempt('gnocchi', async () => os.gnocchi.searchResources('instance'))) ?? []
      const generic = (await attempt('gnocchi', async () => os.gnocchi.searchResources('generic', {'=': {type: 'instance'}}))) ?? []
      expect(generic.length).to.equal(instances.length)
      note(`gnocchi: ${instances.length} instance resources; metrics of the first: ${Object.keys(instances[0]?.metrics ?? {}).join(',')}`)
    })

    it('aggregates grouped by id, and measures of one metric', async () => {
      if (instances.length === 0) return
      const metricName = Object.keys(instances[0].metrics)[0]
      const stop = new Date()
      const start = new Date(stop.getTime() - 24 * 3_600_000)
      const groups = await os.gnocchi
        .aggregatesGrouped({groupby: ['id'], operations: `(metric ${metricName} mean)`, resource_type: 'instance', search: {in: {id: instances.map((i) => i.id)}}, start, stop})
        .catch((error: unknown) => error)
      if (groups instanceof HttpError) note(`gnocchi aggregates: HTTP ${groups.status} "${groups.serverMessage}"`)
      else if (Array.isArray(groups)) note(`gnocchi aggregates on ${metricName}: ${groups.length} groups, first group ${JSON.stringify(groups[0]?.group)}`)
      else throw groups
      const measures = await os.gnocchi.measures(instances[0].metrics[metricName], {start})
      note(`gnocchi measures of ${metricName}: ${measures.length} points, e.g. ${JSON.stringify(measures[0])}`)
      const missing = await os.gnocchi.measures(MISSING_UUID).catch((error: unknown) => error)
      if (missing instanceof HttpError) note(`gnocchi missing metric: HTTP ${missing.status} "${missing.serverMessage}"`)
    })
  })

  describe('cloudkitty', () => {
    it('reads the v2 summary (or says the service is absent)', async () => {
      const summary = await attempt('cloudkitty', async () => os.cloudkitty.summary({groupby: ['project_id', 'type']}))
      if (summary) note(`cloudkitty: columns ${summary.columns.join(',')}, ${summary.total} rows in ${summary.pages} pages`)
    })
  })
})
