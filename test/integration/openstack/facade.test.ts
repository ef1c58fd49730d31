import {expect} from 'chai'

import {CallLedger} from '../../../src/lib/http/index.js'
import {createOpenStack, EndpointNotFoundError} from '../../../src/lib/openstack/index.js'
import {defaultCatalog, FakeCloud, FAST_HTTP, PROJECT_ID} from './support/fake-cloud.js'
import {fixture} from './support/fixtures.js'

describe('openstack/index: createOpenStack', () => {
  let cloud: FakeCloud
  afterEach(async () => cloud.close())

  it('builds every client from the original config keys, sharing one token', async () => {
    cloud = await FakeCloud.start({catalog: (base) => defaultCatalog(base).filter((s) => s.type !== 'rating')})
    cloud.on('GET', `/nova/v2.1/${PROJECT_ID}/servers/detail`, () => ({body: {servers: []}}))
    cloud.on('GET', `/heat/v1/${PROJECT_ID}/stacks`, () => ({body: fixture('heat/stacks-list-response.json')}))
    const ledger = new CallLedger()
    // The original sample: project_id + username + user_domain_name, auth_url with /v3.
    const os = createOpenStack(
      {auth_url: cloud.authUrl, password: 'pw-facade', project_domain_name: 'Default', project_id: PROJECT_ID, project_name: 'ignored', user_domain_name: 'Default', username: 'admin'},
      {...FAST_HTTP, ledger},
    )
    expect((await os.nova.listServers()).servers).to.deep.equal([])
    expect(await os.heat.listStacks()).to.have.length(1)
    expect(cloud.authCount).to.equal(1)
    expect(cloud.authBodies[0]).to.have.nested.property('auth.scope.project.id', PROJECT_ID)
    expect(Object.keys(ledger.bySystem()).sort()).to.deep.equal(['heat', 'keystone', 'nova'])
    // CloudKitty is not in this catalog: building the client is fine, using it fails clearly.
    const rating = os.cloudkitty
    expect(os.cloudkitty).to.equal(rating)
    const err = await rating.summary().catch((error: unknown) => error)
    expect(err).to.be.instanceOf(EndpointNotFoundError)
    expect((err as Error).message).to.contain('no endpoint for rating')
  })

  it('honours interface, region_name, endpoint_overrides and compute_microversion from the section', async () => {
    cloud = await FakeCloud.start()
    cloud.on('GET', '/elsewhere/servers/detail', () => ({body: {servers: []}}))
    const os = createOpenStack(
      {
        auth_url: `${cloud.base}/identity`,
        compute_microversion: '2.79',
        endpoint_overrides: {compute: `${cloud.base}/elsewhere`},
        interface: 'internal',
        password: 'pw-facade',
        project_id: PROJECT_ID,
        region_name: 'RegionOne',
        user_id: 'u',
      },
      FAST_HTTP,
    )
    await os.nova.listServers()
    expect(cloud.requestsTo('/elsewhere/servers/detail')[0].headers['openstack-api-version']).to.equal('compute 2.79')
    expect(await os.keystone.endpoint('orchestration')).to.equal(`${cloud.base}/heat/v1/${PROJECT_ID}`)
  })

  it("uses the section's own TLS settings (ca_file) for every service", async () => {
    cloud = await FakeCloud.start()
    const os = createOpenStack({auth_url: cloud.authUrl, ca_file: '/nonexistent/openstack-ca.pem', password: 'pw-tls', project_id: PROJECT_ID, user_domain_name: 'Default', username: 'admin'}, FAST_HTTP)
    const err = await os.keystone.token().catch((error: unknown) => error)
    expect((err as Error).message).to.contain('cannot read CA file /nonexistent/openstack-ca.pem')
  })
})
