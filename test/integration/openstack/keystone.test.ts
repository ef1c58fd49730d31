import {expect} from 'chai'

import {CallLedger, HttpError} from '../../../src/lib/http/index.js'
import {AuthenticationError, EndpointNotFoundError} from '../../../src/lib/openstack/errors.js'
import {redactText} from '../../../src/lib/output/redact.js'
import {KeystoneSession} from '../../../src/lib/openstack/keystone.js'
import {defaultCatalog, FakeCloud, FAST_HTTP, PROJECT_ID} from './support/fake-cloud.js'
import {fixture} from './support/fixtures.js'

const PASSWORD = 'Sup3r-s3cret-pw'

function session(cloud: FakeCloud, extra: Partial<ConstructorParameters<typeof KeystoneSession>[0]> = {}, ledger = new CallLedger()): KeystoneSession {
  return new KeystoneSession(
    {auth: {authUrl: cloud.authUrl, password: PASSWORD, project: {domain: {name: 'Default'}, name: 'admin'}, user: {domain: {name: 'Default'}, name: 'admin'}}, ...extra},
    {...FAST_HTTP, ledger},
  )
}

describe('openstack/keystone: KeystoneSession', () => {
  let cloud: FakeCloud
  afterEach(async () => cloud?.close())

  describe('authentication', () => {
    beforeEach(async () => {
      cloud = await FakeCloud.start()
    })

    it('sends a password auth scoped to the project and keeps the X-Subject-Token', async () => {
      const ledger = new CallLedger()
      const s = session(cloud, {}, ledger)
      const token = await s.token()
      expect(token.id).to.equal('gAAAAAB-fake-token-1')
      expect(cloud.authBodies[0]).to.deep.equal({
        auth: {
          identity: {methods: ['password'], password: {user: {domain: {name: 'Default'}, name: 'admin', password: PASSWORD}}},
          scope: {project: {domain: {name: 'Default'}, name: 'admin'}},
        },
      })
      await s.token()
      expect(cloud.authCount).to.equal(1)
      // Keystone auth is a POST that only reads: accounted, not a write.
      expect(ledger.bySystem().keystone).to.include({calls: 1, writes: 0})
    })

    it('authenticates by user id and project id', async () => {
      const s = new KeystoneSession({auth: {authUrl: `${cloud.base}/identity`, password: PASSWORD, project: {id: PROJECT_ID}, user: {id: 'u1'}}}, FAST_HTTP)
      await s.token()
      expect(cloud.authBodies[0]).to.deep.equal({auth: {identity: {methods: ['password'], password: {user: {id: 'u1', password: PASSWORD}}}, scope: {project: {id: PROJECT_ID}}}})
    })

    it('reports the scope of the token: project, user and roles', async () => {
      const scope = await session(cloud).scope()
      expect(scope).to.include({projectDomainId: 'default', projectId: PROJECT_ID, projectName: 'admin', userId: 'ee4dfb6e5540447cb3741905149d9b6e', userName: 'admin'})
      expect(scope.roles).to.deep.equal(['admin'])
    })

    it('turns refused credentials into an AuthenticationError with Keystone\'s message, never the password', async () => {
      cloud.authReply = () => ({body: {error: {code: 401, message: 'The account is locked for user: ee4d.', title: 'Unauthorized'}}, status: 401})
      const err = await session(cloud).token().catch((error: unknown) => error)
      expect(err).to.be.instanceOf(AuthenticationError)
      const e = err as AuthenticationError
      expect(e.message).to.contain("user 'admin' (domain 'Default')").and.contain('The account is locked for user: ee4d.')
      expect(e.serverMessage).to.equal('The account is locked for user: ee4d.')
      expect(e.hint).to.contain('password')
      expect(`${e.message} ${e.hint} ${JSON.stringify(e)}`).not.to.contain(PASSWORD)
    })

    it('says auth_url is wrong on a 404', async () => {
      const s = new KeystoneSession({auth: {authUrl: `${cloud.base}/nowhere/v3`, password: PASSWORD, project: {id: 'p'}, user: {id: 'u'}}}, FAST_HTTP)
      const err = await s.token().catch((error: unknown) => error)
      expect(err).to.be.instanceOf(AuthenticationError)
      expect((err as AuthenticationError).hint).to.contain('auth_url')
    })
  })

  describe('401 from a service', () => {
    beforeEach(async () => {
      cloud = await FakeCloud.start({authDelayMs: 30})
      cloud.on('GET', `/nova/v2.1/${PROJECT_ID}/servers/detail`, () => ({body: fixture('nova/servers-details-v2.100.json')}))
    })

    it('renews the token and repeats the request once', async () => {
      const s = session(cloud)
      await s.token()
      cloud.revokeTokens()
      const res = await s.request<{servers: unknown[]}>('compute', {url: 'servers/detail'})
      expect(res.data.servers).to.have.length(1)
      expect(cloud.authCount).to.equal(2)
      const seen = cloud.requestsTo(/servers\/detail$/).map((r) => r.headers['x-auth-token'])
      expect(seen).to.deep.equal(['gAAAAAB-fake-token-1', 'gAAAAAB-fake-token-2'])
    })

    it('masks the token in use in output, and no longer the one it replaced', async () => {
      const s = session(cloud)
      const first = await s.token()
      expect(redactText(`token ${first.id}`)).to.equal('token ***')
      cloud.revokeTokens()
      await s.request('compute', {url: 'servers/detail'})
      const second = await s.token()
      expect(second.id).to.not.equal(first.id)
      expect(redactText(`token ${second.id}`)).to.equal('token ***')
      expect(redactText(`token ${first.id}`)).to.equal(`token ${first.id}`)
    })

    it('repeats only once: a second 401 is an AuthenticationError naming the service', async () => {
      cloud.on('GET', /\/heat\/v1\/.*\/stacks$/, () => ({body: {error: {code: 401, message: 'Authentication required', title: 'Unauthorized'}}, status: 401}))
      const s = session(cloud)
      const err = await s.request('orchestration', {url: 'stacks'}).catch((error: unknown) => error)
      expect(err).to.be.instanceOf(AuthenticationError)
      expect((err as AuthenticationError).message).to.contain('heat refused a freshly issued Keystone token').and.contain('Authentication required')
      expect(cloud.requestsTo(/stacks$/)).to.have.length(2)
      expect(cloud.authCount).to.equal(2)
    })

    it('does not re-authenticate on other errors', async () => {
      cloud.on('GET', /\/heat\/v1\/.*\/stacks$/, () => ({body: {error: {code: 403, message: 'global_tenant not allowed', title: 'Forbidden'}}, status: 403}))
      const err = await session(cloud)
        .request('orchestration', {url: 'stacks'})
        .catch((error: unknown) => error)
      expect(err).to.be.instanceOf(HttpError)
      expect((err as HttpError).status).to.equal(403)
      expect((err as HttpError).serverMessage).to.equal('global_tenant not allowed')
      expect(cloud.authCount).to.equal(1)
    })

    it('several concurrent requests refused with the same token trigger ONE re-auth', async () => {
      const s = session(cloud)
      await s.token()
      cloud.revokeTokens()
      const results = await Promise.all(Array.from({length: 8}, async () => s.request<{servers: unknown[]}>('compute', {url: 'servers/detail'})))
      expect(results.every((r) => r.data.servers.length === 1)).to.equal(true)
      expect(cloud.authCount).to.equal(2)
      expect(cloud.requestsTo(/servers\/detail$/)).to.have.length(16)
    })
  })

  describe('a 401 that arrives after another request already renewed the token', () => {
    it('reuses the newer token instead of authenticating again', async () => {
      cloud = await FakeCloud.start({latencyMs: (req) => (req.path.endsWith('/slow') ? 150 : 0)})
      cloud.on('GET', /\/nova\/.*\/(fast|slow)$/, () => ({body: {ok: true}}))
      const s = session(cloud)
      await s.token()
      cloud.revokeTokens()
      const [fast, slow] = await Promise.all([s.request('compute', {url: 'fast'}), s.request('compute', {url: 'slow'})])
      expect([fast.status, slow.status]).to.deep.equal([200, 200])
      expect(cloud.authCount).to.equal(2)
      expect(cloud.requestsTo(/\/slow$/).map((r) => r.headers['x-auth-token'])).to.deep.equal(['gAAAAAB-fake-token-1', 'gAAAAAB-fake-token-2'])
    })
  })

  describe('renewal before expiry', () => {
    it('renews once the margin before expiry is reached, and only once for concurrent callers', async () => {
      cloud = await FakeCloud.start({authDelayMs: 20, tokenLifetimeMs: 3_600_000})
      let now = 1_000_000
      const s = session(cloud, {clock: () => now})
      const first = await s.token()
      now += 54 * 60_000 // 6 min before expiry: outside the 5 min margin
      expect((await s.token()).id).to.equal(first.id)
      now += 2 * 60_000 // 4 min before expiry
      const tokens = await Promise.all(Array.from({length: 5}, async () => s.token()))
      expect(new Set(tokens.map((t) => t.id))).to.deep.equal(new Set(['gAAAAAB-fake-token-2']))
      expect(cloud.authCount).to.equal(2)
    })

    it('uses a configured margin and never more than half the lifetime', async () => {
      cloud = await FakeCloud.start({tokenLifetimeMs: 60_000})
      let now = 0
      const s = session(cloud, {clock: () => now, renewMarginMs: 5 * 60_000})
      const t = await s.token()
      expect(t.renewAt - now).to.equal(30_000)
      now = 29_000
      await s.token()
      expect(cloud.authCount).to.equal(1)
      now = 31_000
      await s.token()
      expect(cloud.authCount).to.equal(2)
    })

    it('measures expiry on our clock from the lifetime Keystone gave (clock skew does not matter)', async () => {
      cloud = await FakeCloud.start({tokenLifetimeMs: 3_600_000})
      const now = Date.parse('2031-01-01T00:00:00Z') // our clock far ahead of the server's
      const s = session(cloud, {clock: () => now})
      const t = await s.token()
      expect(t.expiresAt).to.equal(now + 3_600_000)
      await s.token()
      expect(cloud.authCount).to.equal(1)
    })
  })

  describe('catalog', () => {
    it('picks the endpoint by interface and region', async () => {
      cloud = await FakeCloud.start({
        catalog: (base) => [
          {
            endpoints: [
              {id: '1', interface: 'public', region_id: 'RegionOne', url: `${base}/public-one`},
              {id: '2', interface: 'internal', region_id: 'RegionOne', url: `${base}/internal-one`},
              {id: '3', interface: 'internal', region_id: 'RegionTwo', url: `${base}/internal-two`},
            ],
            id: 'n',
            type: 'compute',
          },
        ],
      })
      expect(await session(cloud).endpoint('compute')).to.equal(`${cloud.base}/public-one`)
      expect(await session(cloud, {interface: 'internal'}).endpoint('compute')).to.equal(`${cloud.base}/internal-one`)
      expect(await session(cloud, {interface: 'internal', region: 'RegionTwo'}).endpoint('compute')).to.equal(`${cloud.base}/internal-two`)
      const err = await session(cloud, {interface: 'admin'})
        .endpoint('compute')
        .catch((error: unknown) => error)
      expect(err).to.be.instanceOf(EndpointNotFoundError)
    })

    it('sends requests to an override instead of the catalog URL', async () => {
      cloud = await FakeCloud.start()
      cloud.on('GET', '/elsewhere/v2.1/servers/detail', () => ({body: {servers: []}}))
      const s = session(cloud, {endpointOverrides: {compute: `${cloud.base}/elsewhere/v2.1`}})
      const res = await s.request<{servers: unknown[]}>('compute', {url: 'servers/detail'})
      expect(res.data.servers).to.deep.equal([])
    })

    it("an override with Keystone's project template sends each session to its own project", async () => {
      cloud = await FakeCloud.start()
      cloud.on('GET', `/heat/v1/${PROJECT_ID}/stacks`, () => ({body: {stacks: []}}))
      const s = session(cloud, {endpointOverrides: {orchestration: `${cloud.base}/heat/v1/%(tenant_id)s`}})
      const res = await s.request<{stacks: unknown[]}>('orchestration', {url: 'stacks'})
      expect(res.data.stacks).to.deep.equal([])
    })

    it('a service missing from the catalog fails with a list of what the catalog has', async () => {
      cloud = await FakeCloud.start({catalog: (base) => defaultCatalog(base).filter((c) => c.type !== 'metric')})
      const err = await session(cloud)
        .request('metric', {url: 'v1/aggregates'})
        .catch((error: unknown) => error)
      expect(err).to.be.instanceOf(EndpointNotFoundError)
      const msg = (err as EndpointNotFoundError).message
      expect(msg).to.contain('no endpoint for metric (interface public)')
      expect(msg).to.contain('compute: admin@RegionOne, internal@RegionOne, public@RegionOne')
      expect((err as EndpointNotFoundError).hint).to.contain('endpoint_overrides')
    })

    it('does not take the fixture catalog\'s v1/v2 volume endpoints for block-storage v3', async () => {
      const token = fixture<{token: {catalog: unknown[]}}>('keystone/auth-password-project-scoped-response.json').token
      cloud = await FakeCloud.start({catalog: () => token.catalog as never})
      const err = await session(cloud)
        .endpoint('block-storage')
        .catch((error: unknown) => error)
      expect(err).to.be.instanceOf(EndpointNotFoundError)
      expect((err as Error).message).to.contain('block-storage/volumev3/volume').and.contain('volumev2: internal@RegionOne')
    })
  })

  describe('lists for doctor', () => {
    beforeEach(async () => {
      cloud = await FakeCloud.start()
    })

    it('lists roles across pages by links.next', async () => {
      cloud.on('GET', '/identity/v3/roles', (req) =>
        req.query.get('page') === '2'
          ? {body: {links: {next: null, self: 'x'}, roles: [{id: 'r2', name: 'member'}]}}
          : {body: {links: {next: `http://keystone.internal:5000/v3/roles?page=2`, self: 'x'}, roles: [{id: 'r1', name: 'admin'}]}},
      )
      const roles = await session(cloud).listRoles()
      expect(roles.items.map((r) => r.name)).to.deep.equal(['admin', 'member'])
      expect(roles.truncated).to.equal(false)
    })

    it('finds users by name', async () => {
      cloud.on('GET', '/identity/v3/users', (req) => ({
        body: {links: {next: null}, users: req.query.get('name') === 'concertim' ? [{domain_id: 'default', enabled: true, id: 'u9', name: 'concertim'}] : []},
      }))
      const users = await session(cloud).findUsersByName('concertim')
      expect(users).to.deep.equal([{domain_id: 'default', enabled: true, id: 'u9', name: 'concertim'}])
    })

    it('lists projects and says when keystone truncated the list', async () => {
      cloud.on('GET', '/identity/v3/projects', () => ({body: {links: {next: null}, projects: [{domain_id: 'default', enabled: true, id: 'p1', name: 'CM_acme'}], truncated: true}}))
      const projects = await session(cloud).listProjects()
      expect(projects.items.map((p) => p.id)).to.deep.equal(['p1'])
      expect(projects.truncated).to.equal(true)
    })
  })
})
