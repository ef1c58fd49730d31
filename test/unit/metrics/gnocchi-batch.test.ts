import {expect} from 'chai'

import {HttpError} from '../../../src/lib/http/index.js'
import type {ServerSeries} from '../../../src/lib/metrics/formulas.js'
import {aggregatesRequest, batches, type GnocchiReads, isMetricsNotFound, isResourceTypeMissing, MEASURE_QUERIES, mergeGroups, neededPoints, readBatch} from '../../../src/lib/metrics/gnocchi-batch.js'
import type {GnocchiAggregatesGroup, GnocchiResource} from '../../../src/lib/openstack/types.js'

const [INSTANCE, DISK, NIC] = MEASURE_QUERIES
const W = {completeBefore: Date.parse('2026-01-01T00:15:00Z'), granularity: 300, start: new Date('2026-01-01T00:00:00Z')}
const pt = (v: null | number): [string, number, null | number] => ['2026-01-01T00:05:00+00:00', 300, v]
/** What is kept of a series whose latest finite point is `pt(v)` (a single complete period: no rate). */
const kept = (v: number) => ({end: Date.parse('2026-01-01T00:10:00Z'), rate: 'no-recent-measures', value: v})

function metricsNotFound(): HttpError {
  return new HttpError({body: {code: 400, description: {cause: 'Metrics not found', detail: ['cpu']}, title: 'Bad Request'}, kind: 'status', method: 'POST', problem: 'failed with HTTP 400', status: 400, system: 'gnocchi', url: 'http://g/v1/aggregates'})
}

describe('metrics/gnocchi-batch', () => {
  it('one query per resource type, grouped by the attribute that names the server', () => {
    expect(MEASURE_QUERIES.map((q) => [q.resourceType, q.groupby])).to.deep.equal([
      ['instance', 'id'],
      ['instance_disk', 'instance_id'],
      ['instance_network_interface', 'instance_id'],
    ])
  })

  it('builds the aggregates request: search by ids, groupby, fill=null, granularity, start', () => {
    expect(aggregatesRequest(DISK, ['a', 'b'], W)).to.deep.equal({
      fill: 'null',
      granularity: 300,
      groupby: ['instance_id'],
      // `mean` of the counters, not rate:mean: rates come from two complete periods (formulas.ts).
      operations: ['metric', ['disk.device.read.bytes', 'mean'], ['disk.device.write.bytes', 'mean'], ['disk.device.read.requests', 'mean'], ['disk.device.write.requests', 'mean']],
      resource_type: 'instance_disk',
      search: {in: {instance_id: ['a', 'b']}},
      start: W.start,
    })
  })

  const batchCases: [number, number, number[]][] = [
    [0, 3, []],
    [5, 10, [5]],
    [10, 5, [5, 5]],
    [11, 5, [5, 5, 1]],
  ]
  for (const [n, size, sizes] of batchCases) {
    it(`batches ${n} ids by ${size} → ${JSON.stringify(sizes)}`, () => expect(batches(Array.from({length: n}, (_, i) => i), size).map((b) => b.length)).to.deep.equal(sizes))
  }

  it('merges grouped answers (nested or not) into server → metric → one summary per resource of what a reading needs, keeping only the aggregation asked', () => {
    const into = new Map<string, ServerSeries>()
    const groups = [
      {group: {instance_id: 's1'}, measures: {measures: {d1: {'disk.device.read.bytes': {mean: [pt(8), pt(1)], 'rate:mean': [pt(9)]}}, d2: {'disk.device.read.bytes': {mean: [pt(2)]}}}}},
      {group: {instance_id: 's2'}, measures: {d3: {'disk.device.write.bytes': {mean: [pt(3), pt(null)]}, 'unrelated.metric': {mean: [pt(7)]}}}},
      {group: {instance_id: null}, measures: {d4: {'disk.device.read.bytes': {mean: [pt(4)]}}}},
    ] as unknown as GnocchiAggregatesGroup[]
    mergeGroups(into, DISK, groups, W.completeBefore)
    expect(Object.fromEntries(into)).to.deep.equal({
      s1: {'disk.device.read.bytes': [kept(1), kept(2)]},
      s2: {'disk.device.write.bytes': [kept(3)]},
    })
    mergeGroups(into, INSTANCE, [{group: {id: 's1'}, measures: {measures: {s1: {cpu: {mean: [pt(5)]}}}}}] as unknown as GnocchiAggregatesGroup[], W.completeBefore)
    expect(into.get('s1')?.cpu).to.deep.equal([kept(5)])
  })

  it('summarises each series with its rate from the two latest complete periods', () => {
    const into = new Map<string, ServerSeries>()
    const at = (minute: number, v: number): [string, number, number] => [`2026-01-01T00:${String(minute).padStart(2, '0')}:00+00:00`, 300, v]
    // By W.completeBefore (00:15) the periods of 00:00 to 00:10 are complete; 00:15's is still filling.
    mergeGroups(into, NIC, [{group: {instance_id: 's1'}, measures: {measures: {n1: {'network.incoming.bytes': {mean: [at(0, 0), at(5, 300), at(10, 900), at(15, 1000)]}}}}}] as unknown as GnocchiAggregatesGroup[], W.completeBefore)
    expect(into.get('s1')).to.deep.equal({'network.incoming.bytes': [{end: Date.parse('2026-01-01T00:20:00Z'), rate: 2, value: 1000}]})
  })

  describe('neededPoints: the latest point and the two latest complete ones, oldest first', () => {
    const at = (minute: number, v: null | number): [string, number, null | number] => [`2026-01-01T00:${String(minute).padStart(2, '0')}:00+00:00`, 300, v]
    const before = Date.parse('2026-01-01T00:20:00Z') // periods starting at :15 or earlier are complete
    const cases: [string, unknown[], unknown[]][] = [
      ['nothing', [], []],
      ['keeps the filling period and the two complete before it', [at(0, 1), at(5, 2), at(10, 3), at(15, 4), at(20, 5)], [at(10, 3), at(15, 4), at(20, 5)]],
      ['all complete: the last two', [at(0, 1), at(5, 2), at(10, 3)], [at(5, 2), at(10, 3)]],
      ['skips gaps (NaN read as null) and malformed points', [at(0, 1), at(5, null), ['x'], at(10, 3), at(20, null)], [at(0, 1), at(10, 3)]],
      ['only the filling period', [at(20, 5)], [at(20, 5)]],
    ]
    for (const [name, points, expected] of cases) it(name, () => expect(neededPoints(points, before)).to.deep.equal(expected))
  })

  const notFound: [string, unknown, boolean][] = [
    ['Gnocchi 400 Metrics not found', metricsNotFound(), true],
    ['another 400', new HttpError({body: {description: {cause: "Metrics can't being aggregated"}}, kind: 'status', method: 'POST', problem: 'x', status: 400, system: 'gnocchi', url: 'u'}), false],
    ['a 503', new HttpError({kind: 'status', method: 'POST', problem: 'x', status: 503, system: 'gnocchi', url: 'u'}), false],
    ['a plain error', new Error('boom'), false],
  ]
  for (const [name, error, expected] of notFound) it(`isMetricsNotFound: ${name} → ${expected}`, () => expect(isMetricsNotFound(error)).to.equal(expected))

  /** A Gnocchi of 4.3.5+: groups without the metrics are left out; none at all → 400 "Metrics not found". */
  function fakeGnocchi(withMetrics: ReadonlySet<string>, opts: {missingTypes?: string[]} = {}) {
    const asked: string[][] = []
    let searches = 0
    const typeMissing = (type: string) =>
      new HttpError({body: {code: 400, description: {cause: 'Resource type does not exist', detail: type}, title: 'Bad Request'}, kind: 'status', method: 'POST', problem: 'failed with HTTP 400', status: 400, system: 'gnocchi', url: 'u'})
    const reads: GnocchiReads = {
      async aggregates(req) {
        if (opts.missingTypes?.includes(req.resource_type ?? '')) throw typeMissing(req.resource_type ?? '')
        const key = req.groupby[0]
        const ids = (req.search as {in: Record<string, string[]>}).in[key]
        asked.push(ids)
        const found = ids.filter((id) => withMetrics.has(id))
        if (found.length === 0) throw metricsNotFound()
        return found.map((id) => ({group: {[key]: id}, measures: {measures: {[id]: {cpu: {'rate:mean': [pt(1)]}}}}})) as unknown as GnocchiAggregatesGroup[]
      },
      async search(type, query) {
        searches++
        if (opts.missingTypes?.includes(type)) throw typeMissing(type)
        const key = Object.keys((query as {in: Record<string, string[]>}).in)[0]
        const ids = (query as {in: Record<string, string[]>}).in[key]
        return ids.map((id) => ({id: `${id}-r`, [key]: id, metrics: withMetrics.has(id) ? {cpu: 'm1'} : {}, project_id: null})) as unknown as GnocchiResource[]
      },
    }
    return {asked, reads, searches: () => searches}
  }

  it('a batch where some servers lack the metrics: one call, the others simply absent', async () => {
    const g = fakeGnocchi(new Set(['a', 'b', 'c']))
    const into = new Map<string, ServerSeries>()
    const r = await readBatch(g.reads, INSTANCE, ['a', 'b', 'bad', 'c'], W, into)
    expect([...into.keys()].sort()).to.deep.equal(['a', 'b', 'c'])
    expect(r.calls).to.equal(1)
  })

  it('a batch of servers none of which has the metrics (new servers, empty types) costs 2 calls, not 2N-1', async () => {
    const ids = Array.from({length: 64}, (_, i) => `new-${i}`)
    const g = fakeGnocchi(new Set())
    const r = await readBatch(g.reads, DISK, ids, W, new Map())
    expect(r.calls).to.equal(2)
    expect(g.searches()).to.equal(1)
    expect(r.refused).to.have.length(64)
  })

  it('an older Gnocchi that refuses the whole query for one server: the others are asked again once (3 calls)', async () => {
    const g = fakeGnocchi(new Set(['a', 'c']))
    // Make it strict: any id without metrics in the ask refuses the whole query.
    const strict: GnocchiReads = {
      async aggregates(req) {
        const ids = (req.search as {in: Record<string, string[]>}).in.id
        if (ids.some((id) => id === 'bad')) throw metricsNotFound()
        return g.reads.aggregates(req)
      },
      search: g.reads.search,
    }
    const into = new Map<string, ServerSeries>()
    const r = await readBatch(strict, INSTANCE, ['a', 'bad', 'c'], W, into)
    expect(r.calls).to.equal(3)
    expect(r.refused).to.deep.equal([{resourceType: 'instance', serverId: 'bad'}])
    expect([...into.keys()].sort()).to.deep.equal(['a', 'c'])
  })

  it('a Gnocchi without the resource type: its metrics are not-in-gnocchi, and the type is not asked again in the pass', async () => {
    const g = fakeGnocchi(new Set(['a']), {missingTypes: ['instance_disk']})
    const state = {missingTypes: new Set<string>()}
    const first = await readBatch(g.reads, DISK, ['a', 'b'], W, new Map(), state)
    expect(first.calls).to.equal(1)
    expect(first.refused.map((x) => x.serverId)).to.deep.equal(['a', 'b'])
    expect([...state.missingTypes]).to.deep.equal(['instance_disk'])
    const second = await readBatch(g.reads, DISK, ['c'], W, new Map(), state)
    expect(second.calls).to.equal(0)
    // the other types are read as usual
    const into = new Map<string, ServerSeries>()
    expect((await readBatch(g.reads, INSTANCE, ['a'], W, into, state)).calls).to.equal(1)
    expect(into.has('a')).to.equal(true)
  })

  const missing: [string, unknown, boolean][] = [
    ['400 cause "Resource type does not exist"', new HttpError({body: {description: {cause: 'Resource type does not exist', detail: 'instance_disk'}}, kind: 'status', method: 'POST', problem: 'x', status: 400, system: 'gnocchi', url: 'u'}), true],
    ['a message "Resource type instance_disk does not exist"', Object.assign(new Error('gnocchi: POST u failed: Resource type instance_disk does not exist'), {status: 400}), true],
    ['Metrics not found', metricsNotFound(), false],
    ['a 503', new HttpError({kind: 'status', method: 'POST', problem: 'x', status: 503, system: 'gnocchi', url: 'u'}), false],
  ]
  for (const [name, error, expected] of missing) it(`isResourceTypeMissing: ${name} → ${expected}`, () => expect(isResourceTypeMissing(error)).to.equal(expected))

  it('any other failure propagates (the run fails)', async () => {
    const post = async (): Promise<GnocchiAggregatesGroup[]> => {
      throw new HttpError({kind: 'network', method: 'POST', problem: 'connection refused', system: 'gnocchi', url: 'u'})
    }
    let caught: unknown
    await readBatch({aggregates: post, search: async () => post().then(() => [])}, NIC, ['a'], W, new Map()).catch((error: unknown) => {
      caught = error
    })
    expect((caught as Error).message).to.contain('connection refused')
  })
})
