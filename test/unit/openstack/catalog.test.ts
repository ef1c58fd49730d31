import {expect} from 'chai'

import {canonicalServiceType, describeCatalog, endpointUrl, forProject, normaliseOverrides, overridesPinnedToAProject, selectEndpoint} from '../../../src/lib/openstack/catalog.js'
import {EndpointNotFoundError} from '../../../src/lib/openstack/errors.js'
import type {CatalogService, KeystoneTokenBody} from '../../../src/lib/openstack/types.js'
import {fixture} from '../../integration/openstack/support/fixtures.js'

const catalog = (): CatalogService[] => fixture<{token: KeystoneTokenBody}>('keystone/auth-password-project-scoped-response.json').token.catalog ?? []

const ep = (iface: string, region: string, url: string) => ({id: url, interface: iface, region, region_id: region, url})

describe('openstack/catalog', () => {
  it('selects compute (not compute_legacy) from the fixture catalog, by interface', () => {
    expect(selectEndpoint(catalog(), {interface: 'public', serviceType: 'compute'})).to.equal('http://23.253.248.171:8774/v2.1/a6944d763bf64ee6a275f1263fae0352')
    expect(selectEndpoint(catalog(), {interface: 'public', serviceType: 'orchestration'})).to.equal('http://23.253.248.171:8004/v1/a6944d763bf64ee6a275f1263fae0352')
    expect(selectEndpoint(catalog(), {interface: 'admin', serviceType: 'network'})).to.equal('http://23.253.248.171:9696/')
  })

  it('selects by region (region_id or the older region key)', () => {
    const c: CatalogService[] = [{endpoints: [ep('public', 'One', 'http://one'), {id: 'x', interface: 'public', region: 'Two', url: 'http://two'}], id: 'c', type: 'compute'}]
    expect(selectEndpoint(c, {interface: 'public', serviceType: 'compute'})).to.equal('http://one')
    expect(selectEndpoint(c, {interface: 'public', region: 'Two', serviceType: 'compute'})).to.equal('http://two')
    expect(() => selectEndpoint(c, {interface: 'public', region: 'Three', serviceType: 'compute'})).to.throw(EndpointNotFoundError, /region Three/)
  })

  it('accepts legacy interface spellings in the catalog (publicURL)', () => {
    const c: CatalogService[] = [{endpoints: [ep('publicURL', 'R', 'http://nova')], id: 'c', type: 'compute'}]
    expect(selectEndpoint(c, {interface: 'public', serviceType: 'compute'})).to.equal('http://nova')
  })

  it('block-storage prefers block-storage, then volumev3, then a v3 `volume`, never a v1/v2 endpoint', () => {
    const svc = (type: string, url: string): CatalogService => ({endpoints: [ep('public', 'R', url)], id: type, type})
    expect(selectEndpoint([svc('volumev3', 'http://c/v3/p'), svc('block-storage', 'http://bs/v3/p')], {interface: 'public', serviceType: 'block-storage'})).to.equal('http://bs/v3/p')
    expect(selectEndpoint([svc('volume', 'http://c/v1/p'), svc('volumev3', 'http://c3/v3/p')], {interface: 'public', serviceType: 'block-storage'})).to.equal('http://c3/v3/p')
    expect(selectEndpoint([svc('volume', 'http://c/v3/p')], {interface: 'public', serviceType: 'block-storage'})).to.equal('http://c/v3/p')
    expect(() => selectEndpoint(catalog(), {interface: 'public', serviceType: 'block-storage'})).to.throw(EndpointNotFoundError)
  })

  it('the missing-service error lists what the catalog has', () => {
    let err: EndpointNotFoundError | undefined
    try {
      selectEndpoint(catalog(), {interface: 'internal', serviceType: 'metric'})
    } catch (error) {
      err = error as EndpointNotFoundError
    }
    expect(err).to.be.instanceOf(EndpointNotFoundError)
    expect(err?.serviceType).to.equal('metric')
    expect(err?.message).to.contain('no endpoint for metric (interface internal)')
    expect(err?.available).to.include('object-store: admin@RegionOne, public@RegionOne, internal@RegionOne')
  })

  it('describes a catalog compactly', () => {
    expect(describeCatalog([{endpoints: [], id: 'x', type: 'rating'}])).to.deep.equal(['rating: no endpoints'])
  })

  it('maps aliases to canonical types, also for overrides', () => {
    expect(canonicalServiceType('volumev3')).to.equal('block-storage')
    expect(canonicalServiceType('image')).to.equal(undefined)
    expect(normaliseOverrides({image: 'http://g', volume: 'http://c/v3', compute: 'http://n'})).to.deep.equal({'block-storage': 'http://c/v3', compute: 'http://n'})
  })

  it('joins endpoint and path without doubling the version segment', () => {
    expect(endpointUrl('http://h:9696/', 'v2.0/networks')).to.equal('http://h:9696/v2.0/networks')
    expect(endpointUrl('http://h:9696/v2.0', 'v2.0/networks')).to.equal('http://h:9696/v2.0/networks')
    expect(endpointUrl('http://h:5000/v3/', '/v3/auth/tokens')).to.equal('http://h:5000/v3/auth/tokens')
    expect(endpointUrl('http://h:8774/v2.1/p', 'servers/detail')).to.equal('http://h:8774/v2.1/p/servers/detail')
    expect(endpointUrl('http://h:8041', 'v1/aggregates')).to.equal('http://h:8041/v1/aggregates')
    expect(endpointUrl('http://h:8041/v1', 'https://other/x')).to.equal('https://other/x')
  })

  const templates: Array<[string, string, string]> = [
    ['no template: as written', 'http://heat:8004/v1/0123', 'http://heat:8004/v1/0123'],
    ["Keystone SQL catalog's %(tenant_id)s", 'http://heat:8004/v1/%(tenant_id)s', 'http://heat:8004/v1/p-1'],
    ['%(project_id)s', 'https://cinder:8776/v3/%(project_id)s', 'https://cinder:8776/v3/p-1'],
    ["the templated catalog's $(tenant_id)s", 'http://heat:8004/v1/$(tenant_id)s', 'http://heat:8004/v1/p-1'],
    ['twice', 'http://x/%(project_id)s/y/$(project_id)s', 'http://x/p-1/y/p-1'],
  ]
  for (const [what, url, want] of templates) {
    it(`an override naming the project: ${what}`, () => {
      expect(forProject(url, 'p-1', 'orchestration')).to.equal(want)
    })
  }

  it('an override naming the project with a token not scoped to one: an error naming the key', () => {
    expect(() => forProject('http://heat:8004/v1/%(tenant_id)s', undefined, 'orchestration')).to.throw(/endpoint_overrides.orchestration names the project/)
    expect(forProject('http://nova:8774/v2.1', undefined, 'compute')).to.equal('http://nova:8774/v2.1')
  })

  it("serve's warning: Heat or Cinder overrides with a project id written in, not the template", () => {
    const id = '0123456789abcdef0123456789abcdef'
    expect(
      overridesPinnedToAProject({compute: `http://nova:8774/v2.1/${id}`, orchestration: `http://heat:8004/v1/${id}`, volumev3: `http://cinder:8776/v3/${id}/`, network: 'http://neutron:9696'}),
    ).to.deep.equal(['orchestration', 'volumev3'])
    expect(overridesPinnedToAProject({orchestration: 'http://heat:8004/v1/%(tenant_id)s', 'block-storage': 'http://cinder:8776/v3'})).to.deep.equal([])
  })
})
