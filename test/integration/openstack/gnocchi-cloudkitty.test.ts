import {expect} from 'chai'

import {CallLedger} from '../../../src/lib/http/index.js'
import {CloudKittyClient} from '../../../src/lib/openstack/cloudkitty.js'
import {GnocchiClient} from '../../../src/lib/openstack/gnocchi.js'
import {KeystoneSession} from '../../../src/lib/openstack/keystone.js'
import {FakeCloud, FAST_HTTP, PROJECT_ID} from './support/fake-cloud.js'

function session(cloud: FakeCloud, ctx: {dryRun?: boolean; ledger?: CallLedger} = {}): KeystoneSession {
  return new KeystoneSession({auth: {authUrl: cloud.authUrl, password: 'pw-gnocchi-test', project: {id: PROJECT_ID}, user: {id: 'u'}}}, {...FAST_HTTP, ...ctx})
}

describe('openstack/gnocchi: GnocchiClient', () => {
  let cloud: FakeCloud
  beforeEach(async () => {
    cloud = await FakeCloud.start()
  })
  afterEach(async () => cloud.close())

  it('searches resources across pages by the Link header, as read-only POSTs allowed under dry-run', async () => {
    const all = Array.from({length: 5}, (_, i) => ({id: `r-${i}`, metrics: {cpu: `m-${i}`}, project_id: 'p', type: 'instance', user_id: 'u'}))
    cloud.on('POST', '/gnocchi/v1/search/resource/instance', (req) => {
      const limit = Number(req.query.get('limit'))
      const marker = req.query.get('marker')
      const start = marker === null ? 0 : all.findIndex((r) => r.id === marker) + 1
      const items = all.slice(start, start + limit)
      const headers: Record<string, string> =
        items.length === limit ? {Link: `<http://gnocchi.internal:8041/v1/search/resource/instance?limit=${limit}&marker=${items.at(-1)?.id}&sort=id%3Aasc>; rel="next"`} : {}
      return {body: items, headers}
    })
    const ledger = new CallLedger()
    const found = await new GnocchiClient(session(cloud, {dryRun: true, ledger}), {pageSize: 2}).searchResources('instance', {in: {id: all.map((r) => r.id)}})
    expect(found.map((r) => r.id)).to.deep.equal(all.map((r) => r.id))
    const reqs = cloud.requestsTo('/gnocchi/v1/search/resource/instance')
    expect(reqs).to.have.length(3)
    expect(reqs[0].body).to.deep.equal({in: {id: ['r-0', 'r-1', 'r-2', 'r-3', 'r-4']}})
    expect(reqs.map((r) => r.query.get('sort'))).to.deep.equal(['id:asc', 'id:asc', 'id:asc'])
    expect(reqs[0].query.get('details')).to.equal('true')
    expect(ledger.writes('gnocchi')).to.equal(0)
  })

  it('posts aggregates with groupby, granularity and times, and types the grouped answer', async () => {
    cloud.on('POST', '/gnocchi/v1/aggregates', () => ({
      body: [
        {group: {id: 'r-1'}, measures: {'r-1': {cpu: {'rate:mean': [['2024-01-01T00:00:00+00:00', 300, 1.5e9]]}}}},
        {group: {id: 'r-2'}, measures: {'r-2': {cpu: {'rate:mean': [['2024-01-01T00:00:00+00:00', 300, 3e9]]}}}},
      ],
    }))
    const groups = await new GnocchiClient(session(cloud)).aggregatesGrouped({
      granularity: 300,
      groupby: ['id'],
      operations: '(metric cpu rate:mean)',
      resource_type: 'instance',
      search: {in: {id: ['r-1', 'r-2']}},
      start: new Date('2024-01-01T00:00:00Z'),
      stop: '2024-01-01T00:10:00Z',
    })
    expect(groups.map((g) => g.group.id)).to.deep.equal(['r-1', 'r-2'])
    const req = cloud.requestsTo('/gnocchi/v1/aggregates')[0]
    expect(req.body).to.deep.equal({operations: '(metric cpu rate:mean)', resource_type: 'instance', search: {in: {id: ['r-1', 'r-2']}}})
    expect(Object.fromEntries(req.query)).to.deep.equal({granularity: '300', groupby: 'id', start: '2024-01-01T00:00:00.000Z', stop: '2024-01-01T00:10:00Z'})
  })

  it('sends each groupby attribute as its own parameter', async () => {
    cloud.on('POST', '/gnocchi/v1/aggregates', () => ({body: []}))
    await new GnocchiClient(session(cloud)).aggregatesGrouped({groupby: ['id', 'project_id'], operations: '(metric cpu mean)', resource_type: 'instance', search: {}})
    expect(cloud.requestsTo('/gnocchi/v1/aggregates')[0].query.getAll('groupby')).to.deep.equal(['id', 'project_id'])
  })

  it('reads the measures of one metric', async () => {
    cloud.on('GET', '/gnocchi/v1/metric/m-1/measures', () => ({body: [['2024-01-01T00:00:00+00:00', 300, 42]]}))
    const measures = await new GnocchiClient(session(cloud)).measures('m-1', {aggregation: 'rate:mean', granularity: 300})
    expect(measures).to.deep.equal([['2024-01-01T00:00:00+00:00', 300, 42]])
    expect(cloud.requestsTo('/gnocchi/v1/metric/m-1/measures')[0].query.get('aggregation')).to.equal('rate:mean')
  })
})

describe('openstack/cloudkitty: CloudKittyClient', () => {
  let cloud: FakeCloud
  beforeEach(async () => {
    cloud = await FakeCloud.start()
  })
  afterEach(async () => cloud.close())

  it('reads the v2 summary with groupby and filters, paging by offset to the total', async () => {
    const rows = Array.from({length: 5}, (_, i) => ['2024-01-01T00:00:00', '2024-02-01T00:00:00', i, i * 1.5, 'p1', `type-${i}`])
    cloud.on('GET', '/cloudkitty/v2/summary', (req) => {
      const offset = Number(req.query.get('offset'))
      const limit = Number(req.query.get('limit'))
      return {body: {columns: ['begin', 'end', 'qty', 'rate', 'project_id', 'type'], results: rows.slice(offset, offset + limit), total: rows.length}}
    })
    const summary = await new CloudKittyClient(session(cloud), {pageSize: 2}).summary({
      begin: '2024-01-01T00:00:00Z',
      end: new Date('2024-02-01T00:00:00Z'),
      filters: {project_id: 'p1'},
      groupby: ['project_id', 'type'],
    })
    expect(summary.results).to.deep.equal(rows)
    expect(summary).to.include({pages: 3, total: 5})
    expect(summary.columns.indexOf('rate')).to.equal(3)
    const reqs = cloud.requestsTo('/cloudkitty/v2/summary')
    expect(reqs.map((r) => r.query.get('offset'))).to.deep.equal(['0', '2', '4'])
    expect(reqs[0].query.getAll('groupby')).to.deep.equal(['project_id', 'type'])
    expect(reqs[0].query.getAll('filters')).to.deep.equal(['project_id:p1'])
    expect(reqs[0].query.get('end')).to.equal('2024-02-01T00:00:00.000Z')
  })

  it('stops on an empty page even if the total promised more', async () => {
    cloud.on('GET', '/cloudkitty/v2/summary', () => ({body: {columns: ['begin', 'end', 'qty', 'rate'], results: [], total: 10}}))
    const summary = await new CloudKittyClient(session(cloud)).summary()
    expect(summary).to.include({pages: 1, total: 10})
    expect(summary.results).to.deep.equal([])
  })
})
