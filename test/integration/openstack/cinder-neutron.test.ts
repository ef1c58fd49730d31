import {expect} from 'chai'

import {CinderClient} from '../../../src/lib/openstack/cinder.js'
import {KeystoneSession} from '../../../src/lib/openstack/keystone.js'
import {NeutronClient} from '../../../src/lib/openstack/neutron.js'
import type {CinderVolume, NeutronNetwork} from '../../../src/lib/openstack/types.js'
import {FakeCloud, type FakeRequest, FAST_HTTP, PROJECT_ID} from './support/fake-cloud.js'
import {fixture} from './support/fixtures.js'

const CINDER = `/cinder/v3/${PROJECT_ID}`

function session(cloud: FakeCloud, endpointOverrides?: Record<string, string>): KeystoneSession {
  return new KeystoneSession({auth: {authUrl: cloud.authUrl, password: 'pw-cinder-test', project: {id: PROJECT_ID}, user: {id: 'u'}}, endpointOverrides}, FAST_HTTP)
}

/** Marker paging as Cinder and Neutron do it: a next link while the page is full. */
function page<T extends {id: string}>(all: T[], req: FakeRequest, key: string, href: string): {body: unknown} {
  const limit = Number(req.query.get('limit'))
  const marker = req.query.get('marker')
  const start = marker === null ? 0 : all.findIndex((x) => x.id === marker) + 1
  const items = all.slice(start, start + limit)
  const links = start + limit < all.length ? [{href: `${href}?limit=${limit}&marker=${items.at(-1)?.id}`, rel: 'next'}] : []
  return {body: {[key]: items, [`${key}_links`]: links}}
}

const NETWORK: NeutronNetwork = {
  admin_state_up: true,
  availability_zones: ['nova'],
  created_at: '2016-03-08T20:19:41',
  id: 'd32019d3-bc6e-4319-9c1d-6722fc136a22',
  l2_adjacency: false,
  mtu: 1500,
  name: 'net1',
  port_security_enabled: true,
  project_id: '4fd44f30292945e481c7b8a0c8908869',
  revision_number: 1,
  'router:external': false,
  shared: false,
  status: 'ACTIVE',
  subnets: ['54d6f61d-db07-451c-9ab3-b9609b6b6f0b'],
  tenant_id: '4fd44f30292945e481c7b8a0c8908869',
}

describe('openstack/cinder: CinderClient', () => {
  let cloud: FakeCloud
  beforeEach(async () => {
    cloud = await FakeCloud.start()
  })
  afterEach(async () => cloud.close())

  it('lists every volume of every project across pages (volumes_links)', async () => {
    const base = fixture<{volumes: CinderVolume[]}>('cinder/volumes-list-detailed-v3.69.json').volumes[0]
    const all = Array.from({length: 5}, (_, i) => ({...base, id: `v-${i}`}))
    cloud.on('GET', `${CINDER}/volumes/detail`, (req) => page(all, req, 'volumes', `http://cinder.internal/v3/${PROJECT_ID}/volumes/detail`))
    const vols = await new CinderClient(session(cloud), {pageSize: 2}).listVolumes()
    expect(vols.map((v) => v.id)).to.deep.equal(all.map((v) => v.id))
    expect(vols[0]).to.include({bootable: 'false', 'os-vol-tenant-attr:tenant_id': '89afd400-b646-4bbc-b12b-c0a4d63e5bd3', size: 10})
    const reqs = cloud.requestsTo(`${CINDER}/volumes/detail`)
    expect(reqs).to.have.length(3)
    // The next link's query is used, and our own all_tenants is kept even though the link dropped it.
    expect(reqs.every((r) => r.query.get('all_tenants') === '1')).to.equal(true)
  })

  it('gets one volume, null on 404', async () => {
    const base = fixture<{volumes: CinderVolume[]}>('cinder/volumes-list-detailed-v3.69.json').volumes[0]
    cloud.on('GET', `${CINDER}/volumes/${base.id}`, () => ({body: {volume: base}}))
    cloud.on('GET', `${CINDER}/volumes/nope`, () => ({body: {itemNotFound: {code: 404, message: 'Volume nope could not be found.'}}, status: 404}))
    const cinder = new CinderClient(session(cloud))
    expect((await cinder.getVolume(base.id))?.status).to.equal('creating')
    expect(await cinder.getVolume('nope')).to.equal(null)
  })
})

describe('openstack/neutron: NeutronClient', () => {
  let cloud: FakeCloud
  beforeEach(async () => {
    cloud = await FakeCloud.start()
  })
  afterEach(async () => cloud.close())

  it('lists networks across pages (networks_links)', async () => {
    const all = Array.from({length: 3}, (_, i) => ({...NETWORK, id: `n-${i}`}))
    cloud.on('GET', '/neutron/v2.0/networks', (req) => page(all, req, 'networks', 'http://neutron.internal:9696/v2.0/networks'))
    const nets = await new NeutronClient(session(cloud), {pageSize: 2}).listNetworks({projectId: 'p1'})
    expect(nets.map((n) => n.id)).to.deep.equal(['n-0', 'n-1', 'n-2'])
    expect(cloud.requestsTo('/neutron/v2.0/networks').map((r) => r.query.get('project_id'))).to.deep.equal(['p1', 'p1'])
  })

  it('takes everything in one answer when the server does not page', async () => {
    cloud.on('GET', '/neutron/v2.0/networks', () => ({body: {networks: [NETWORK]}}))
    expect(await new NeutronClient(session(cloud)).listNetworks()).to.have.length(1)
  })

  it('gets one network (null on 404) and lists subnets of a network', async () => {
    cloud.on('GET', `/neutron/v2.0/networks/${NETWORK.id}`, () => ({body: {network: NETWORK}}))
    cloud.on('GET', '/neutron/v2.0/networks/gone', () => ({body: {NeutronError: {detail: '', message: 'Network gone could not be found.', type: 'NetworkNotFound'}}, status: 404}))
    cloud.on('GET', '/neutron/v2.0/subnets', (req) => ({
      body: {subnets: [{cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1', id: 'sn1', ip_version: 4, name: 'a', network_id: req.query.get('network_id'), project_id: 'p'}]},
    }))
    const neutron = new NeutronClient(session(cloud))
    expect((await neutron.getNetwork(NETWORK.id))?.mtu).to.equal(1500)
    expect(await neutron.getNetwork('gone')).to.equal(null)
    const subnets = await neutron.listSubnets({networkId: NETWORK.id})
    expect(subnets[0]).to.include({cidr: '10.0.0.0/24', network_id: NETWORK.id})
  })

  it('does not double the version when the catalog URL already ends with /v2.0', async () => {
    cloud.on('GET', '/neutron/v2.0/networks', () => ({body: {networks: [NETWORK]}}))
    const nets = await new NeutronClient(session(cloud, {network: `${cloud.base}/neutron/v2.0`})).listNetworks()
    expect(nets).to.have.length(1)
  })
})
