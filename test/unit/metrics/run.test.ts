import {expect} from 'chai'

import type {Metric, MetricResult} from '../../../src/lib/concertim/mrd.js'
import type {Device} from '../../../src/lib/concertim/types.js'
import type {PassClients} from '../../../src/lib/metrics/run.js'
import {planBatches, runMetricsPass} from '../../../src/lib/metrics/run.js'
import type {MetricTarget} from '../../../src/lib/metrics/targets.js'
import type {AggregatesRequest} from '../../../src/lib/openstack/gnocchi.js'
import type {GnocchiAggregatesGroup, GnocchiResource} from '../../../src/lib/openstack/types.js'

const t = (deviceId: string, instanceId: string): MetricTarget => ({deviceId, instanceId})
const pt = (v: number): [string, number, number] => ['2026-01-01T00:05:00+00:00', 300, v]
const pt0 = (v: number): [string, number, number] => ['2026-01-01T00:00:00+00:00', 300, v]
const GAUGES = new Set(['vcpus', 'memory', 'memory.usage'])

/** Gnocchi with every metric of every server asked about (one disk, one NIC each). */
function gnocchi(asked: string[][], failOnCall?: number): PassClients['gnocchi'] {
  let calls = 0
  return {
    async aggregatesGrouped(req: AggregatesRequest & {groupby: string[]}): Promise<GnocchiAggregatesGroup[]> {
      calls++
      if (calls === failOnCall) throw Object.assign(new Error('gnocchi: HTTP 503'), {status: 503})
      const key = req.groupby[0]
      const ids = (req.search as {in: Record<string, string[]>}).in[key]
      if (req.resource_type === 'instance') asked.push(ids)
      const names = (req.operations as unknown[]).slice(1).map((o) => (o as [string])[0])
      return ids.map((id) => ({
        group: {[key]: id},
        // Gauges: one point; counters: two complete periods, +600 (2/s).
        measures: {measures: {[`${id}-r`]: Object.fromEntries(names.map((n) => [n, {mean: GAUGES.has(n) ? [pt(n === 'memory' ? 4096 : 600)] : [pt0(0), pt(600)]}]))}},
      })) as unknown as GnocchiAggregatesGroup[]
    },
    async searchResources(): Promise<GnocchiResource[]> {
      throw new Error('not asked when every query answers')
    },
  }
}

function clients(devices: Device[], g: PassClients['gnocchi'], puts: [string, Metric][]): PassClients {
  return {
    concertim: {devices: async () => devices, templates: async () => []},
    gnocchi: g,
    mrd: {
      async putMetric(id: string, m: Metric): Promise<MetricResult> {
        puts.push([id, m])
        await new Promise((r) => setImmediate(r))
        return {status: 'ok'}
      },
    },
  }
}

const device = (id: string, server: string): Device => ({id, metadata: {openstack_instance_id: server}, name: id, type: 'Instance'}) as unknown as Device
const OPTS = {batchSize: 2, concurrency: 3, dryRun: false, granularity: 300, now: Date.parse('2026-01-01T00:11:00Z'), ttl: 900, window: 900}

describe('metrics/run', () => {
  it('plans batches of new servers in target order; a server of several devices is read once', () => {
    const plan = planBatches([t('d1', 'a'), t('d2', 'b'), t('d3', 'a'), t('d4', 'c'), t('d5', 'd'), t('d6', 'b')], 2)
    expect(plan.map((b) => b.servers)).to.deep.equal([['a', 'b'], ['c', 'd']])
    expect(plan.map((b) => b.targets.map((x) => x.deviceId))).to.deep.equal([['d1', 'd2', 'd3'], ['d4', 'd5', 'd6']])
    expect(planBatches([], 2)).to.deep.equal([])
  })

  it('reads and sends batch by batch: every device in order, each server asked once, 3 queries per batch', async () => {
    const asked: string[][] = []
    const puts: [string, Metric][] = []
    const devices = [device('d1', 'a'), device('d2', 'b'), device('d3', 'c'), device('d4', 'a'), device('d5', 'd')]
    const r = await runMetricsPass(clients(devices, gnocchi(asked), puts), OPTS)
    expect(asked).to.deep.equal([['a', 'b'], ['c', 'd']])
    expect(r.gnocchi.calls).to.equal(6)
    expect(r.devices.map((d) => d.deviceId)).to.deep.equal(['d1', 'd2', 'd3', 'd4', 'd5'])
    expect(r.devices[3].values).to.deep.equal(r.devices[0].values)
    expect(r.counts).to.include({devices: 5, noData: 0, sent: 25, servers: 4, values: 25})
    expect(puts).to.have.length(25)
    expect(r.exitCode).to.equal(0)
  })

  it('asks a batch\'s three queries one after another: never two answers of a batch in memory at once', async () => {
    const g = gnocchi([])
    let inFlight = 0
    let most = 0
    const counting: PassClients['gnocchi'] = {
      async aggregatesGrouped(req) {
        most = Math.max(most, ++inFlight)
        await new Promise((r) => setImmediate(r))
        inFlight--
        return g.aggregatesGrouped(req)
      },
      searchResources: g.searchResources,
    }
    // One batch: no next batch is read while it is sent.
    const r = await runMetricsPass(clients([device('d1', 'a'), device('d2', 'b')], counting, []), OPTS)
    expect(r.gnocchi.calls).to.equal(3)
    expect(most).to.equal(1)
  })

  it('without details: the counts only', async () => {
    const r = await runMetricsPass(clients([device('d1', 'a'), device('d2', 'b'), device('d3', 'c')], gnocchi([]), []), {...OPTS, details: false})
    expect(r.devices).to.deep.equal([])
    expect(r.counts).to.include({sent: 15, values: 15})
  })

  it('Gnocchi failing on the first batch: nothing sent; on a later batch: the earlier batches were sent, the error says so', async () => {
    const devices = [device('d1', 'a'), device('d2', 'b'), device('d3', 'c')]
    const first: [string, Metric][] = []
    const e1 = await runMetricsPass(clients(devices, gnocchi([], 1), first), OPTS).then(() => new Error('no error'), (error: unknown) => error as Error)
    expect(e1.message).to.contain('cannot read the measures from Gnocchi, so no metric was sent').and.contain('503')
    expect(first).to.deep.equal([])

    const later: [string, Metric][] = []
    const e2 = await runMetricsPass(clients(devices, gnocchi([], 4), later), OPTS).then(() => new Error('no error'), (error: unknown) => error as Error)
    expect(later).to.have.length(10)
    expect(e2.message).to.contain('the metrics of the remaining devices were not sent (10 sent before it failed)')
  })
})
