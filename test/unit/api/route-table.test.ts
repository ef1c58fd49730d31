import {expect} from 'chai'

import {TokenVerifier} from '../../../src/lib/api/auth.js'
import {ROUTE_TABLE} from '../../../src/lib/api/routes.js'
import {buildApiServer} from '../../../src/lib/api/server.js'
import {createLogger} from '../../../src/lib/output/logger.js'

describe('the route table', () => {
  it('every call of concertim-api.md §7.2 (and GET /, /healthz) is registered, with GET bodies allowed', async () => {
    const app = buildApiServer({
      admin: {} as never,
      bodyLimit: 1024,
      logger: createLogger({level: 'silent'}),
      readiness: async () => ({checks: {}, ready: true}),
      sessions: {} as never,
      verifier: new TokenVerifier('route-table-secret-xyz', {leewayS: 0, maxLifetimeS: 60, replayCapacity: 100}),
    })
    await app.ready()
    expect(ROUTE_TABLE).to.have.length(24)
    for (const [method, url] of ROUTE_TABLE) expect(app.hasRoute({method: method as 'GET', url}), `${method} ${url}`).to.equal(true)
    expect(app.hasRoute({method: 'GET', url: '/healthz'})).to.equal(true)
    const res = await app.inject({method: 'GET', url: '/'})
    expect(res.statusCode).to.equal(200)
    expect(res.body).to.equal('Running\n')
    await app.close()
  })
})
