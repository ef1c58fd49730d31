import {expect} from 'chai'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import {getJson, login, type Session} from '../../support/openstack-client.js'

interface Link {
  href: string
  rel: string
}

describe('simulator paging', () => {
  let sim: Simulator
  let admin: Session

  before(async () => {
    sim = await startSimulator({preset: 'small', seed: 3, sizes: {networks: 30, servers: 2500, stacks: 50, teams: 10, volumes: 1200}})
    admin = await login(sim)
  })
  after(async () => sim.stop())

  it('nova: follows servers_links to the end, 1000 per page, newest first, every server once', async () => {
    let url: string | undefined = `${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1`
    const ids: string[] = []
    const sizes: number[] = []
    while (url) {
       
      const {body, status} = await getJson(url, admin.token)
      expect(status).to.equal(200)
      const page = body as {servers: {created: string; id: string}[]; servers_links?: Link[]}
      sizes.push(page.servers.length)
      ids.push(...page.servers.map((s) => s.id))
      url = page.servers_links?.find((l) => l.rel === 'next')?.href
    }
    expect(sizes).to.deep.equal([1000, 1000, 500])
    expect(new Set(ids).size).to.equal(2500)
    expect(ids).to.deep.equal(sim.world.servers.all().map((s) => s.id))
  })

  it('nova: caps limit at 1000 and answers an unknown marker with 400 badRequest', async () => {
    const big = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1&limit=5000`, admin.token)
    expect((big.body as {servers: unknown[]}).servers).to.have.length(1000)
    const bad = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1&marker=nope`, admin.token)
    expect(bad.status).to.equal(400)
    expect(bad.body).to.deep.equal({badRequest: {code: 400, message: 'marker [nope] not found'}})
  })

  it('nova: a page exactly full still links to a next, empty page (as nova does)', async () => {
    const project = sim.cloud.teams[0].projectId
    const count = sim.world.servers.partition(project).length
    const first = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1&project_id=${project}&limit=${count}`, admin.token)
    const page = first.body as {servers: unknown[]; servers_links?: Link[]}
    expect(page.servers).to.have.length(count)
    const next = page.servers_links?.[0]
    expect(next?.rel).to.equal('next')
    const last = await getJson(next?.href ?? '', admin.token)
    expect(last.body).to.deep.equal({servers: []})
  })

  it('nova: without all_tenants lists only the token project; a member asking all_tenants gets 403', async () => {
    const team = sim.cloud.teams[1]
    const member = await login(sim, `CM_${team.users[1].login}`, team.users[1].password, team.projectName)
    const own = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail`, member.token)
    const servers = (own.body as {servers: {tenant_id: string}[]}).servers
    expect(servers.length).to.equal(sim.world.servers.partition(team.projectId).length)
    expect(servers.every((s) => s.tenant_id === team.projectId)).to.equal(true)
    const all = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1`, member.token)
    expect(all.status).to.equal(403)
  })

  it('cinder: pages volumes with volumes_links', async () => {
    let url: string | undefined = `${sim.endpoints.cinder}/v3/${admin.projectId}/volumes/detail?all_tenants=1&limit=500`
    const ids: string[] = []
    while (url) {
       
      const {body}: {body: unknown} = await getJson(url, admin.token)
      const page = body as {volumes: {id: string}[]; volumes_links?: Link[]}
      ids.push(...page.volumes.map((v) => v.id))
      url = page.volumes_links?.[0]?.href
    }
    expect(new Set(ids).size).to.equal(1200)
  })

  it('heat: global_tenant listing pages with limit/marker and a next link; nested stacks only with show_nested', async () => {
    const base = `${sim.endpoints.heat}/v1/${admin.projectId}/stacks`
    const first = await getJson(`${base}?global_tenant=true&limit=20`, admin.token)
    const p1 = first.body as {links?: Link[]; stacks: {id: string; parent: null | string}[]}
    expect(p1.stacks).to.have.length(20)
    const next = p1.links?.find((l) => l.rel === 'next')?.href ?? ''
    expect(next).to.contain(`marker=${p1.stacks[19].id}`)
    const rest = await getJson(`${base}?global_tenant=true&limit=100&marker=${p1.stacks[19].id}`, admin.token)
    const p2 = rest.body as {links?: Link[]; stacks: {id: string}[]}
    expect(p2.stacks).to.have.length(30)
    expect(p2.links).to.equal(undefined)
    const nested = await getJson(`${base}?global_tenant=true&show_nested=true`, admin.token)
    expect((nested.body as {stacks: {parent: null | string}[]}).stacks.some((s) => s.parent !== null)).to.equal(true)
  })

  it('neutron: pages networks by id with networks_links next/previous; unknown marker is 404 NeutronError', async () => {
    const first = await getJson(`${sim.endpoints.neutron}/v2.0/networks?limit=20`, admin.token)
    const p1 = first.body as {networks: {id: string}[]; networks_links: Link[]}
    expect(p1.networks).to.have.length(20)
    const next = p1.networks_links.find((l) => l.rel === 'next')?.href ?? ''
    const second = await getJson(next, admin.token)
    const p2 = second.body as {networks: {id: string}[]; networks_links: Link[]}
    expect(p2.networks).to.have.length(10)
    expect(p2.networks_links.map((l) => l.rel)).to.deep.equal(['previous'])
    expect([...p1.networks, ...p2.networks].map((n) => n.id)).to.deep.equal(sim.world.networks.all().map((n) => n.id))
    const bad = await getJson(`${sim.endpoints.neutron}/v2.0/networks?limit=5&marker=missing`, admin.token)
    expect(bad.status).to.equal(404)
    expect(bad.body).to.deep.equal({NeutronError: {detail: '', message: 'Network missing could not be found.', type: 'NetworkNotFound'}})
  })

  it('gnocchi: resource listing pages with the Link header', async () => {
    const first = await getJson(`${sim.endpoints.gnocchi}/v1/resource/instance?limit=1000`, admin.token)
    expect((first.body as unknown[]).length).to.equal(1000)
    const link = first.headers.get('link') ?? ''
    expect(link).to.match(/^<.*marker=.*>; rel="next"$/)
    let url: string | undefined = /^<(.*)>/.exec(link)?.[1]
    let total = 1000
    while (url) {
       
      const page = await getJson(url, admin.token)
      total += (page.body as unknown[]).length
      url = /^<(.*)>/.exec(page.headers.get('link') ?? '')?.[1]
    }
    expect(total).to.equal(2500)
  })
})
