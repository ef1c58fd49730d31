import {expect} from 'chai'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import {getJson, login, type Session} from '../../support/openstack-client.js'

describe('simulator faults on OpenStack services', () => {
  let sim: Simulator
  let admin: Session

  before(async () => {
    sim = await startSimulator({preset: 'small', sizes: {servers: 120}})
    admin = await login(sim)
  })
  afterEach(() => sim.faults.clear())
  after(async () => sim.stop())

  it('rate limits with 429 and Retry-After, then recovers', async () => {
    sim.faults.set('nova', {rateLimit: {count: 1, retryAfterSec: 7}})
    const limited = await getJson(`${sim.endpoints.nova}/v2.1/flavors/detail`, admin.token)
    expect(limited.status).to.equal(429)
    expect(limited.headers.get('retry-after')).to.equal('7')
    expect((await getJson(`${sim.endpoints.nova}/v2.1/flavors/detail`, admin.token)).status).to.equal(200)
  })

  it('fails a listing mid-way: page 1 answers, page 2 is a 500', async () => {
    sim.faults.set('nova', {failListingAfterPages: 1})
    const first = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1&limit=50`, admin.token)
    expect(first.status).to.equal(200)
    const next = (first.body as {servers_links: {href: string}[]}).servers_links[0].href
    const second = await getJson(next, admin.token)
    expect(second.status).to.equal(500)
  })

  it('stalls a request past a client timeout', async () => {
    sim.faults.set('cinder', {stall: {count: 1, ms: 500}})
    let error: unknown
    try {
      await fetch(`${sim.endpoints.cinder}/v3/${admin.projectId}/volumes/detail`, {headers: {'x-auth-token': admin.token}, signal: AbortSignal.timeout(100)})
    } catch (error_) {
      error = error_
    }
    expect((error as Error | undefined)?.name).to.equal('TimeoutError')
    expect(sim.faults.counters.get('cinder')?.stalled).to.equal(1)
  })

  it('expires every token on a system with expireTokens', async () => {
    sim.faults.set('heat', {expireTokens: true})
    expect((await getJson(`${sim.endpoints.heat}/v1/${admin.projectId}/stacks`, admin.token)).status).to.equal(401)
    expect((await getJson(`${sim.endpoints.nova}/v2.1/flavors/detail`, admin.token)).status).to.equal(200)
  })

  it('down cell: before 2.69 cell2 servers vanish; from 2.69 they come back partial with status UNKNOWN', async () => {
    const total = sim.world.servers.size
    const downCount = sim.world.servers.all().filter((s) => s.cell === 'cell2').length
    expect(downCount).to.be.greaterThan(0)
    sim.faults.set('nova', {novaDownCell: true})
    const old = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1`, admin.token)
    expect((old.body as {servers: unknown[]}).servers).to.have.length(total - downCount)
    const modern = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1`, admin.token, {'OpenStack-API-Version': 'compute 2.69'})
    const servers = (modern.body as {servers: Record<string, unknown>[]}).servers
    expect(servers).to.have.length(total)
    const partial = servers.filter((s) => s.status === 'UNKNOWN')
    expect(partial).to.have.length(downCount)
    expect(Object.keys(partial[0]).sort()).to.deep.equal(['created', 'id', 'links', 'status', 'tenant_id'])
  })

  it('injected latency delays answers', async () => {
    sim.faults.set('neutron', {latencyMs: 150})
    const started = Date.now()
    await getJson(`${sim.endpoints.neutron}/v2.0/networks`, admin.token)
    expect(Date.now() - started).to.be.at.least(140)
  })
})
