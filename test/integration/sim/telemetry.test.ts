import {expect} from 'chai'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import {getJson, login, postJson, type Session} from '../../support/openstack-client.js'

type Point = [string, number, number]

describe('simulator Gnocchi and CloudKitty', () => {
  let sim: Simulator
  let admin: Session
  const now = Date.UTC(2026, 5, 15, 12, 2, 30)

  before(async () => {
    sim = await startSimulator({now: () => now, preset: 'small'})
    admin = await login(sim)
  })
  after(async () => sim.stop())

  const running = () => sim.world.servers.all().filter((s) => s.vmState === 'active')

  it('GET measures returns [timestamp, granularity, value] within start/stop; cpu rate:mean is the increase per period', async () => {
    const server = running()[0]
    const instance = sim.world.gnocchiTable('instance').get(server.id)
    const cpu = instance?.metrics.cpu ?? ''
    const mean = await getJson(`${sim.endpoints.gnocchi}/v1/metric/${cpu}/measures?granularity=300&start=2026-06-15T11:40:00`, admin.token)
    const rate = await getJson(`${sim.endpoints.gnocchi}/v1/metric/${cpu}/measures?granularity=300&start=2026-06-15T11:40:00&aggregation=rate:mean`, admin.token)
    const m = mean.body as Point[]
    const r = rate.body as Point[]
    expect(m.map((p) => p[0])).to.deep.equal(['2026-06-15T11:40:00+00:00', '2026-06-15T11:45:00+00:00', '2026-06-15T11:50:00+00:00', '2026-06-15T11:55:00+00:00', '2026-06-15T12:00:00+00:00'])
    expect(m.every((p) => p[1] === 300)).to.equal(true)
    expect(r[1][2]).to.be.closeTo(m[1][2] - m[0][2], 1)
    expect(r.every((p) => p[2] > 0)).to.equal(true)
    const byName = await getJson(`${sim.endpoints.gnocchi}/v1/resource/instance/${server.id}/metric/cpu/measures?granularity=300&start=2026-06-15T11:40:00`, admin.token)
    expect(byName.body).to.deep.equal(m)
  })

  it('search finds a server\'s disks and NICs by instance_id', async () => {
    const server = running()[0]
    const disks = await postJson(`${sim.endpoints.gnocchi}/v1/search/resource/instance_disk`, admin.token, {'=': {instance_id: server.id}})
    const list = disks.body as {instance_id: string; metrics: Record<string, string>}[]
    expect(list.length).to.be.at.least(1)
    expect(list.every((d) => d.instance_id === server.id && 'disk.device.read.bytes' in d.metrics)).to.equal(true)
  })

  it('aggregates: (aggregate rate:mean (metric cpu mean)) grouped by id gives one group per server, nested measures', async () => {
    const ids = running()
      .slice(0, 3)
      .map((s) => s.id)
    const res = await postJson(`${sim.endpoints.gnocchi}/v1/aggregates?groupby=id&granularity=300&start=2026-06-15T11:40:00&stop=2026-06-15T12:05:00`, admin.token, {
      operations: '(aggregate rate:mean (metric cpu mean))',
      resource_type: 'instance',
      search: {in: {id: ids}},
    })
    expect(res.status).to.equal(200)
    const groups = res.body as {group: {id: string}; measures: {measures: {aggregated: Point[]}}}[]
    expect(groups.map((g) => g.group.id)).to.deep.equal([...ids].sort())
    expect(groups[0].measures.measures.aggregated).to.have.length(4)
  })

  it('aggregates: (metric memory.usage mean) without groupby, per resource; sums across resources; metric ids', async () => {
    const [a, b] = running()
    const search = {in: {id: [a.id, b.id]}}
    const per = await postJson(`${sim.endpoints.gnocchi}/v1/aggregates?granularity=300&start=2026-06-15T11:50:00`, admin.token, {operations: '(metric memory.usage mean)', resource_type: 'instance', search})
    const measures = (per.body as {measures: Record<string, {'memory.usage': {mean: Point[]}}>}).measures
    expect(Object.keys(measures).sort()).to.deep.equal([a.id, b.id].sort())
    const sum = await postJson(`${sim.endpoints.gnocchi}/v1/aggregates?granularity=300&start=2026-06-15T11:50:00`, admin.token, {operations: ['aggregate', 'sum', ['metric', 'memory.usage', 'mean']], resource_type: 'instance', search})
    const total = (sum.body as {measures: {aggregated: Point[]}}).measures.aggregated
    expect(total[0][2]).to.be.closeTo(measures[a.id]['memory.usage'].mean[0][2] + measures[b.id]['memory.usage'].mean[0][2], 0.01)
    const metricId = sim.world.gnocchiTable('instance').get(a.id)?.metrics.memory ?? ''
    const byId = await postJson(`${sim.endpoints.gnocchi}/v1/aggregates?granularity=300&start=2026-06-15T11:55:00`, admin.token, {operations: `(metric ${metricId} mean)`})
    expect(Object.keys((byId.body as {measures: Record<string, unknown>}).measures)).to.deep.equal([metricId])
    const missing = await postJson(`${sim.endpoints.gnocchi}/v1/aggregates`, admin.token, {operations: '(metric nope mean)', resource_type: 'instance', search})
    expect(missing.status).to.equal(400)
    expect((missing.body as {description: {cause: string}}).description.cause).to.equal('Metrics not found')
  })

  it('cloudkitty summary: table format grouped by project and type, filters and paging', async () => {
    const team = sim.cloud.teams[0]
    const res = await getJson(`${sim.endpoints.cloudkitty}/v2/summary?filters=project_id:${team.projectId}&groupby=project_id&groupby=type`, admin.token)
    const body = res.body as {columns: string[]; results: unknown[][]; total: number}
    expect(body.columns).to.deep.equal(['begin', 'end', 'qty', 'rate', 'project_id', 'type'])
    expect(body.results.map((r) => r[5]).sort()).to.deep.equal(['instance', 'volume.size'])
    expect(body.results.every((r) => r[4] === team.projectId && typeof r[3] === 'number' && (r[3] as number) > 0)).to.equal(true)
    expect(body.results[0][0]).to.equal('2026-06-01T00:00:00+00:00')
    const paged = await getJson(`${sim.endpoints.cloudkitty}/v2/summary?groupby=id&limit=2&offset=1`, admin.token)
    const p = paged.body as {results: unknown[][]; total: number}
    expect(p.results).to.have.length(2)
    expect(p.total).to.be.greaterThan(2)
    const none = await getJson(`${sim.endpoints.cloudkitty}/v2/summary?filters=project_id:nobody`, admin.token)
    expect(none.body).to.deep.equal({columns: [], format: 'table', results: [], total: 0})
  })
})
