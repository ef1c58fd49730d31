import {expect} from 'chai'

import {HttpError} from '../../../src/lib/http/index.js'
import {MicroversionError, PagingLoopError} from '../../../src/lib/openstack/errors.js'
import {KeystoneSession} from '../../../src/lib/openstack/keystone.js'
import {isEmbeddedFlavor, NovaClient} from '../../../src/lib/openstack/nova.js'
import type {NovaFlavor, NovaServer} from '../../../src/lib/openstack/types.js'
import {FakeCloud, type FakeRequest, FAST_HTTP, PROJECT_ID} from './support/fake-cloud.js'
import {fixture} from './support/fixtures.js'

const NOVA = `/nova/v2.1/${PROJECT_ID}`

function serverFixture(version: '2.1' | '2.100'): NovaServer {
  return fixture<{servers: NovaServer[]}>(`nova/servers-details-v${version}.json`).servers[0]
}

/** The fixture server cloned `n` times with ids s-0…s-(n-1), paged `limit` at a time like Nova. */
function pagedServers(all: object[], req: FakeRequest, linkHost = 'http://nova.internal:8774'): {body: unknown} {
  const limit = Number(req.query.get('limit'))
  const marker = req.query.get('marker')
  const start = marker === null ? 0 : all.findIndex((s) => (s as {id: string}).id === marker) + 1
  const page = all.slice(start, start + limit)
  const links = start + limit < all.length ? [{href: `${linkHost}/v2.1/${PROJECT_ID}/servers/detail?all_tenants=1&limit=${limit}&marker=${(page.at(-1) as {id: string}).id}`, rel: 'next'}] : []
  return {body: {servers: page, servers_links: links}}
}

function session(cloud: FakeCloud): KeystoneSession {
  return new KeystoneSession({auth: {authUrl: cloud.authUrl, password: 'pw-nova-test', project: {id: PROJECT_ID}, user: {id: 'u'}}}, FAST_HTTP)
}

describe('openstack/nova: NovaClient', () => {
  let cloud: FakeCloud
  beforeEach(async () => {
    cloud = await FakeCloud.start()
  })
  afterEach(async () => cloud.close())

  it('lists every server of every project across pages, with the microversion header', async () => {
    const all = Array.from({length: 7}, (_, i) => ({...serverFixture('2.100'), id: `s-${i}`, name: `vm-${i}`}))
    cloud.on('GET', `${NOVA}/servers/detail`, (req) => pagedServers(all, req))
    const listing = await new NovaClient(session(cloud), {pageSize: 3}).listServers()
    expect(listing.servers.map((s) => s.id)).to.deep.equal(all.map((s) => s.id))
    expect(listing).to.include({complete: true, pages: 3})
    const reqs = cloud.requestsTo(`${NOVA}/servers/detail`)
    expect(reqs.map((r) => r.query.get('marker'))).to.deep.equal([null, 's-2', 's-5'])
    expect(reqs.every((r) => r.query.get('all_tenants') === '1')).to.equal(true)
    expect(reqs[0].headers['openstack-api-version']).to.equal('compute 2.73')
    expect(reqs[0].headers['x-openstack-nova-api-version']).to.equal('2.73')
  })

  it('filters by project and sends a configured microversion', async () => {
    cloud.on('GET', `${NOVA}/servers/detail`, (req) => (req.query.get('marker') ? {body: {servers: []}} : {body: fixture('nova/servers-details-v2.1.json')}))
    const listing = await new NovaClient(session(cloud), {microversion: '2.1'}).listServers({projectId: 'p-7'})
    const req = cloud.requestsTo(`${NOVA}/servers/detail`)[0]
    expect(req.query.get('project_id')).to.equal('p-7')
    expect(req.headers['openstack-api-version']).to.equal('compute 2.1')
    // v2.1: the flavor is a reference {id, links}; the fixture's next link leads to an empty last page.
    expect(listing.servers).to.have.length(1)
    expect(isEmbeddedFlavor(listing.servers[0].flavor)).to.equal(false)
    expect(listing.servers[0].flavor).to.have.property('id', '1')
  })

  it('types v2.100 servers: flavor inline with original_name and no id', async () => {
    cloud.on('GET', `${NOVA}/servers/detail`, (req) => (req.query.get('marker') ? {body: {servers: []}} : {body: fixture('nova/servers-details-v2.100.json')}))
    const [server] = (await new NovaClient(session(cloud)).listServers()).servers
    expect(isEmbeddedFlavor(server.flavor)).to.equal(true)
    if (!isEmbeddedFlavor(server.flavor)) throw new Error('unreachable')
    expect(server.flavor).to.include({original_name: 'm1.tiny', ram: 512, vcpus: 1})
    expect(server.addresses.private[0].addr).to.equal('192.168.1.30')
  })

  it('reports down-cell (partial) records so that callers can refuse deletions', async () => {
    const full = serverFixture('2.100')
    const partial = {created: '2013-09-03T04:01:32Z', id: 'down-1', links: full.links, status: 'UNKNOWN', tenant_id: full.tenant_id}
    cloud.on('GET', `${NOVA}/servers/detail`, () => ({body: {servers: [full, partial]}}))
    const listing = await new NovaClient(session(cloud)).listServers()
    expect(listing.complete).to.equal(false)
    expect(listing.servers.map((s) => s.id)).to.deep.equal([full.id])
    expect(listing.partial.map((s) => s.id)).to.deep.equal(['down-1'])
  })

  it('listServersAs maps each page\'s records as the page arrives, complete and partial apart', async () => {
    const full = Array.from({length: 4}, (_, i) => ({...serverFixture('2.100'), id: `s-${i}`}))
    const partial = {created: '2013-09-03T04:01:32Z', id: 's-4', links: full[0].links, status: 'UNKNOWN', tenant_id: full[0].tenant_id}
    cloud.on('GET', `${NOVA}/servers/detail`, (req) => pagedServers([...full, partial], req))
    const pagesAskedWhenMapped: number[] = []
    const asked = () => cloud.requestsTo(`${NOVA}/servers/detail`).length
    const listing = await new NovaClient(session(cloud), {pageSize: 2}).listServersAs(
      (s) => {
        pagesAskedWhenMapped.push(asked())
        return `server ${s.id}`
      },
      (s) => `partial ${s.id}`,
    )
    expect(listing).to.deep.equal({complete: false, pages: 3, partial: ['partial s-4'], servers: ['server s-0', 'server s-1', 'server s-2', 'server s-3']})
    // A page's records are mapped before the next page is asked for: the raw pages are never all held.
    expect(pagesAskedWhenMapped).to.deep.equal([1, 1, 2, 2])
  })

  it('stops a marker loop with an error instead of paging for ever', async () => {
    cloud.on('GET', `${NOVA}/servers/detail`, () => ({
      body: {servers: [serverFixture('2.100')], servers_links: [{href: `http://x/v2.1/servers/detail?limit=1000&marker=${serverFixture('2.100').id}`, rel: 'next'}]},
    }))
    const err = await new NovaClient(session(cloud))
      .listServers()
      .catch((error: unknown) => error)
    expect(err).to.be.instanceOf(PagingLoopError)
    expect((err as Error).message).to.contain('nova: paging servers went in a loop')
    expect(cloud.requestsTo(`${NOVA}/servers/detail`)).to.have.length(2)
  })

  it('fails the whole listing when a page fails (never returns a partial list as complete)', async () => {
    const all = Array.from({length: 4}, (_, i) => ({...serverFixture('2.100'), id: `s-${i}`}))
    cloud.on('GET', `${NOVA}/servers/detail`, (req) =>
      req.query.get('marker') === 's-1' ? {body: {computeFault: {code: 500, message: 'Unexpected API Error.'}}, status: 500} : pagedServers(all, req),
    )
    const err = await new NovaClient(session(cloud), {pageSize: 2})
      .listServers()
      .catch((error: unknown) => error)
    expect(err).to.be.instanceOf(HttpError)
    expect((err as HttpError).serverMessage).to.equal('Unexpected API Error.')
  })

  it('gets one server, null on 404', async () => {
    cloud.on('GET', `${NOVA}/servers/f5dc173b-6804-445a-a6d8-c705dad5b5eb`, () => ({body: {server: serverFixture('2.100')}}))
    cloud.on('GET', `${NOVA}/servers/gone`, () => ({body: {itemNotFound: {code: 404, message: 'Instance gone could not be found.'}}, status: 404}))
    const nova = new NovaClient(session(cloud))
    expect((await nova.getServer('f5dc173b-6804-445a-a6d8-c705dad5b5eb'))?.id).to.equal('f5dc173b-6804-445a-a6d8-c705dad5b5eb')
    expect(await nova.getServer('gone')).to.equal(null)
  })

  it('an unsupported microversion is a MicroversionError with Nova\'s message', async () => {
    cloud.on('GET', `${NOVA}/servers/detail`, () => ({
      body: {computeFault: {code: 406, message: 'Version 2.100 is not supported by the API. Minimum is 2.1 and maximum is 2.93.'}},
      status: 406,
    }))
    const err = await new NovaClient(session(cloud), {microversion: '2.100'})
      .listServers()
      .catch((error: unknown) => error)
    expect(err).to.be.instanceOf(MicroversionError)
    expect((err as Error).message).to.contain('maximum is 2.93')
    expect((err as MicroversionError).hint).to.contain('compute_microversion')
  })

  it('lists flavors (private ones too) across pages', async () => {
    const flavors = fixture<{flavors: NovaFlavor[]}>('nova/flavors-detail-v2.75.json').flavors
    cloud.on('GET', `${NOVA}/flavors/detail`, (req) => {
      const limit = Number(req.query.get('limit'))
      const marker = req.query.get('marker')
      const start = marker === null ? 0 : flavors.findIndex((f) => f.id === marker) + 1
      const page = flavors.slice(start, start + limit)
      const next = start + limit < flavors.length ? [{href: `http://nova/v2.1/flavors/detail?is_public=None&limit=${limit}&marker=${page.at(-1)?.id}`, rel: 'next'}] : []
      return {body: {flavors: page, flavors_links: next}}
    })
    const got = await new NovaClient(session(cloud), {pageSize: 3}).listFlavors()
    expect(got.map((f) => f.name)).to.deep.equal(flavors.map((f) => f.name))
    expect(got[6].extra_specs).to.deep.equal({'hw:cpu_policy': 'shared', 'hw:numa_nodes': '1'})
    const reqs = cloud.requestsTo(`${NOVA}/flavors/detail`)
    expect(reqs).to.have.length(3)
    expect(reqs.every((r) => r.query.get('is_public') === 'None')).to.equal(true)
  })
})
