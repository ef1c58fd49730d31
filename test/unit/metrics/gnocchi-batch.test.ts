import {expect} from 'chai'

import {HttpError} from '../../../src/lib/http/index.js'
import type {ServerMeasures} from '../../../src/lib/metrics/formulas.js'
import {aggregatesRequest, batches, isMetricsNotFound, MEASURE_QUERIES, mergeGroups, readBatch} from '../../../src/lib/metrics/gnocchi-batch.js'
import type {AggregatesRequest} from '../../../src/lib/openstack/gnocchi.js'
import type {GnocchiAggregatesGroup} from '../../../src/lib/openstack/types.js'

const [INSTANCE, DISK, NIC] = MEASURE_QUERIES
const W = {granularity: 300, start: new Date('2026-01-01T00:00:00Z')}
const pt = (v: null | number): [string, number, null | number] => ['2026-01-01T00:05:00+00:00', 300, v]

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
      operations: ['metric', ['disk.device.read.bytes', 'rate:mean'], ['disk.device.write.bytes', 'rate:mean'], ['disk.device.read.requests', 'rate:mean'], ['disk.device.write.requests', 'rate:mean']],
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

  it('merges grouped answers (nested or not) into server → metric → resource → latest point, keeping only the aggregation asked', () => {
    const into = new Map<string, ServerMeasures>()
    const groups = [
      {group: {instance_id: 's1'}, measures: {measures: {d1: {'disk.device.read.bytes': {mean: [pt(9)], 'rate:mean': [pt(8), pt(1)]}}, d2: {'disk.device.read.bytes': {'rate:mean': [pt(2)]}}}}},
      {group: {instance_id: 's2'}, measures: {d3: {'disk.device.write.bytes': {'rate:mean': [pt(3), pt(null)]}, 'unrelated.metric': {'rate:mean': [pt(7)]}}}},
      {group: {instance_id: null}, measures: {d4: {'disk.device.read.bytes': {'rate:mean': [pt(4)]}}}},
    ] as unknown as GnocchiAggregatesGroup[]
    mergeGroups(into, DISK, groups)
    expect(Object.fromEntries(into)).to.deep.equal({
      s1: {'disk.device.read.bytes': {d1: [pt(1)], d2: [pt(2)]}},
      s2: {'disk.device.write.bytes': {d3: [pt(3)]}},
    })
    mergeGroups(into, INSTANCE, [{group: {id: 's1'}, measures: {measures: {s1: {cpu: {'rate:mean': [pt(5)]}}}}}] as unknown as GnocchiAggregatesGroup[])
    expect(into.get('s1')?.cpu).to.deep.equal({s1: [pt(5)]})
  })

  const notFound: [string, unknown, boolean][] = [
    ['Gnocchi 400 Metrics not found', metricsNotFound(), true],
    ['another 400', new HttpError({body: {description: {cause: "Metrics can't being aggregated"}}, kind: 'status', method: 'POST', problem: 'x', status: 400, system: 'gnocchi', url: 'u'}), false],
    ['a 503', new HttpError({kind: 'status', method: 'POST', problem: 'x', status: 503, system: 'gnocchi', url: 'u'}), false],
    ['a plain error', new Error('boom'), false],
  ]
  for (const [name, error, expected] of notFound) it(`isMetricsNotFound: ${name} → ${expected}`, () => expect(isMetricsNotFound(error)).to.equal(expected))

  it('splits a batch refused with "Metrics not found" until the culprit stands alone', async () => {
    const asked: string[][] = []
    const post = async (req: AggregatesRequest & {groupby: string[]}): Promise<GnocchiAggregatesGroup[]> => {
      const ids = (req.search as {in: {id: string[]}}).in.id
      asked.push(ids)
      if (ids.includes('bad')) throw metricsNotFound()
      return ids.map((id) => ({group: {id}, measures: {measures: {[id]: {cpu: {'rate:mean': [pt(1)]}}}}})) as unknown as GnocchiAggregatesGroup[]
    }
    const into = new Map<string, ServerMeasures>()
    const r = await readBatch(post, INSTANCE, ['a', 'b', 'bad', 'c'], W, into)
    expect(r.refused).to.deep.equal([{resourceType: 'instance', serverId: 'bad'}])
    expect([...into.keys()].sort()).to.deep.equal(['a', 'b', 'c'])
    expect(r.calls).to.equal(asked.length)
    expect(asked).to.deep.equal([['a', 'b', 'bad', 'c'], ['a', 'b'], ['bad', 'c'], ['bad'], ['c']])
  })

  it('any other failure propagates (the run fails)', async () => {
    const post = async (): Promise<GnocchiAggregatesGroup[]> => {
      throw new HttpError({kind: 'network', method: 'POST', problem: 'connection refused', system: 'gnocchi', url: 'u'})
    }
    let caught: unknown
    await readBatch(post, NIC, ['a'], W, new Map()).catch((error: unknown) => {
      caught = error
    })
    expect((caught as Error).message).to.contain('connection refused')
  })
})
