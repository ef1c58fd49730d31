/**
 * `metrics push` against a REAL Gnocchi (opt-in: `npm run test:real`, never part of `npm test`), the
 * cloud named by the usual OS_* variables (e.g. `. /work/shared/minicloud/adminrc`).
 *
 * It establishes what real Gnocchi answers where our formulas depend on it — `rate:mean` with
 * measures polled more often than the granularity, bare `NaN` in aggregates, a missing resource
 * type, an empty search — and runs a whole metrics pass on the real Gnocchi (Concertim and the MRD
 * stubbed): every server with measures gets values, a server created meanwhile included.
 *
 * Writes: an archive policy `cos-test-rate` (60 s × 120 and 300 s × 48, mean and rate:mean; kept and reused: Gnocchi
 * refuses to delete a policy until metricd has purged its deleted metrics), and per run a few
 * metrics and one `instance` resource named `cos-test-…`, deleted at the end.
 */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'

import type {Device, Template} from '../../src/lib/concertim/types.js'
import {CallLedger, HttpError} from '../../src/lib/http/index.js'
import {counterRate, type Point} from '../../src/lib/metrics/formulas.js'
import {isMetricsNotFound, isResourceTypeMissing} from '../../src/lib/metrics/gnocchi-batch.js'
import {readingClock, runMetricsPass} from '../../src/lib/metrics/run.js'
import {createOpenStack, type OpenStack} from '../../src/lib/openstack/index.js'
import type {GnocchiResource} from '../../src/lib/openstack/types.js'
import {sectionFromEnv} from './os-env.js'

const env = process.env
const MISSING_UUID = '00000000-0000-4000-8000-000000000000'
const POLICY = 'cos-test-rate'

/** Gnocchi's own timestamps: seconds, `+00:00`. */
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')

describe('REAL Gnocchi: what metrics push relies on', function () {
  this.timeout(180_000)
  let os: OpenStack
  let base: string
  let token: string
  const created: {metrics: string[]; resources: string[]} = {metrics: [], resources: []}

  /** A raw Gnocchi call with our token: the answer's status and text (for what our client hides, e.g. a bare NaN). */
  async function raw(method: string, path: string, body?: unknown): Promise<{status: number; text: string}> {
    const res = await fetch(`${base}${path}`, {
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: {'content-type': 'application/json', 'x-auth-token': token},
      method,
    })
    return {status: res.status, text: await res.text()}
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await raw(method, path, body)
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text.slice(0, 300)}`)
    return (r.text === '' ? undefined : JSON.parse(r.text)) as T
  }

  /** A metric on our policy with a counter growing by `perSecond`, measured every `everyS` s over `spanS` s up to now. */
  async function counterMetric(name: string, perSecond: number, everyS: number, spanS: number, now: number): Promise<string> {
    const m = await json<{id: string}>('POST', '/v1/metric', {archive_policy_name: POLICY, name: `cos-test-${name}`})
    created.metrics.push(m.id)
    const start = Math.floor(now / 60_000) * 60_000 - spanS * 1000
    const measures = []
    for (let t = start; t < now; t += everyS * 1000) measures.push({timestamp: iso(t), value: (perSecond * (t - start)) / 1000})
    await json('POST', `/v1/metric/${m.id}/measures`, measures)
    return m.id
  }

  /** The metric's points (60 s unless said), once metricd (or refresh) has folded every measure in. */
  async function points(id: string, aggregation: string, granularity = 60): Promise<Point[]> {
    return json<Point[]>('GET', `/v1/metric/${id}/measures?aggregation=${encodeURIComponent(aggregation)}&granularity=${granularity}&refresh=true`)
  }

  before(async function () {
    if (!env.OS_AUTH_URL) {
      console.warn('\n  *** SKIPPED: the real-Gnocchi suite needs the OS_* variables (e.g. `. /work/shared/minicloud/adminrc`).\n')
      this.skip()
    }
    os = createOpenStack(sectionFromEnv(), {ledger: new CallLedger()})
    const catalog = await os.keystone.catalog()
    const url = catalog.find((c) => c.type === 'metric')?.endpoints.find((e) => e.interface === 'public')?.url
    if (url === undefined) {
      console.warn('\n  *** SKIPPED: no metric (Gnocchi) service in the catalog.\n')
      this.skip()
    }
    base = url.replace(/\/$/, '')
    token = (await os.keystone.token()).id
    const policies = await json<{name: string}[]>('GET', '/v1/archive_policy')
    if (!policies.some((p) => p.name === POLICY)) {
      await json('POST', '/v1/archive_policy', {aggregation_methods: ['mean', 'rate:mean'], definition: [{granularity: '60s', points: 120}, {granularity: '300s', points: 48}], name: POLICY})
    }
  })

  after(async () => {
    if (base === undefined) return
    for (const id of created.resources) await raw('DELETE', `/v1/resource/instance/${id}`)
    for (const id of created.metrics) await raw('DELETE', `/v1/metric/${id}`)
  })

  it('rate:mean is the increase per POLLING interval (5 s measures in 60 s periods: 1/12 of the increase per period); mean of two complete periods gives the true rate', async () => {
    const now = Date.now()
    const id = await counterMetric('rate', 1000, 5, 600, now)
    const rate = await points(id, 'rate:mean')
    const mean = await points(id, 'mean')
    const complete = (p: Point) => Date.parse(p[0]) + 60_000 <= now
    // rate:mean: the mean of the differences between consecutive raw measures in the period.
    for (const p of rate.filter(complete).slice(1)) expect(p[2]).to.equal(5000)
    // Divided by the granularity, as the formulas used to: 83 B/s for a counter growing 1000/s.
    expect((rate.filter(complete).at(-1)?.[2] ?? 0) / 60).to.be.closeTo(1000 / 12, 0.5)
    // The mean of complete periods, differenced over the time between them: exactly 1000/s.
    expect(counterRate(mean, now)).to.deep.equal({value: 1000})
    // The period still filling (it has fewer measures) would under-report: it is not used.
    const filling = mean.at(-1)
    const measuresInFilling = Math.ceil((now % 60_000) / 5000)
    if (filling !== undefined && !complete(filling) && measuresInFilling < 12) {
      const previous = mean.at(-2) as Point
      expect(((filling[2] as number) - (previous[2] as number)) / 60).to.be.below(1000)
    }
  })

  it('the same counter polled once every 2 minutes (sparser than the 60 s periods) gives the same rate', async () => {
    const now = Date.now()
    const id = await counterMetric('sparse', 1000, 120, 900, now)
    expect(counterRate(await points(id, 'mean'), now)).to.deep.equal({value: 1000})
  })

  it('aggregates with fill=null answer a bare NaN for the gaps of a series that starts later; our client reads it as null', async () => {
    const now = Date.now()
    const early = await counterMetric('early', 10, 60, 600, now)
    const late = await counterMetric('late', 10, 60, 120, now)
    await points(early, 'mean')
    await points(late, 'mean')
    const body = {operations: ['metric', [early, 'mean'], [late, 'mean']]}
    const query = `?granularity=60&fill=null&start=${encodeURIComponent(iso(now - 600_000))}`
    const text = (await raw('POST', `/v1/aggregates${query}`, body)).text
    expect(text).to.match(/\bNaN\b/)
    const answer = (await os.gnocchi.aggregates({fill: 'null', granularity: 60, operations: body.operations, start: new Date(now - 600_000)})) as unknown as {
      measures: Record<string, Record<string, Point[]>>
    }
    const lateSeries = answer.measures[late]?.mean ?? []
    expect(lateSeries.some((p) => p[2] === null)).to.equal(true)
    expect(lateSeries.some((p) => typeof p[2] === 'number')).to.equal(true)
  })

  it('a missing resource type is a 400 naming it; an empty search is a 400 "Metrics not found" (not an empty answer)', async () => {
    const types = (await json<{name: string}[]>('GET', '/v1/resource_type')).map((t) => t.name)
    const missing = ['instance_disk', 'instance_network_interface', 'cos_test_no_such_type'].find((t) => !types.includes(t)) as string
    const error = await os.gnocchi
      .aggregatesGrouped({groupby: ['instance_id'], operations: '(metric disk.device.read.bytes mean)', resource_type: missing, search: {in: {instance_id: [MISSING_UUID]}}})
      .catch((e: unknown) => e)
    expect(error).to.be.instanceOf(HttpError)
    expect((error as HttpError).status).to.equal(400)
    expect(isResourceTypeMissing(error), JSON.stringify((error as HttpError).body)).to.equal(true)
    expect(isMetricsNotFound(error)).to.equal(false)
    const empty = await os.gnocchi
      .aggregatesGrouped({groupby: ['id'], operations: '(metric cpu mean)', resource_type: 'instance', search: {in: {id: [MISSING_UUID]}}})
      .catch((e: unknown) => e)
    expect(isMetricsNotFound(empty), String(empty)).to.equal(true)
  })

  it('a whole pass: every server with measures gets cpu and RAM values, a server created just now included; missing types cost no pass', async () => {
    const now = Date.now()
    // A new server's resource, as Ceilometer makes it: cpu (ns) polled every 5 s, memory gauges.
    const serverId = randomUUID()
    const cpu = await counterMetric('new-cpu', 0.5e9, 5, 1500, now) // half a vCPU busy, for 25 minutes
    const gauge = async (name: string, value: number): Promise<string> => {
      const m = await json<{id: string}>('POST', '/v1/metric', {archive_policy_name: POLICY, name: `cos-test-${name}`})
      created.metrics.push(m.id)
      await json('POST', `/v1/metric/${m.id}/measures`, [{timestamp: iso(now - 120_000), value}, {timestamp: iso(now - 30_000), value}])
      return m.id
    }
    const metrics = {cpu, memory: await gauge('memory', 2048), 'memory.usage': await gauge('memory-usage', 512), vcpus: await gauge('vcpus', 1)}
    await json('POST', '/v1/resource/instance', {
      display_name: 'cos-test-new',
      flavor_id: '1',
      host: 'cos-test',
      id: serverId,
      image_ref: 'cos-test',
      metrics,
      project_id: randomUUID(),
      user_id: randomUUID(),
    }).catch(async (error: unknown) => {
      // The instance type's required attributes differ between deployments: a generic-enough body failed.
      throw new Error(`cannot create a test instance resource: ${(error as Error).message}`)
    })
    created.resources.push(serverId)
    for (const id of Object.values(metrics)) await points(id, 'mean', 300)

    const clock = readingClock(now, {granularity: 300, window: 900})
    const instances: GnocchiResource[] = await os.gnocchi.searchResources('instance', {'=': {ended_at: null}})
    const devices: Device[] = instances.map((r, i) => ({id: `dev-${i}`, metadata: {openstack_instance_id: r.id}, name: r.id, type: 'Instance'}) as unknown as Device)
    const sent = new Map<string, Map<string, number>>()
    const report = await runMetricsPass(
      {
        concertim: {devices: async () => devices, templates: async () => [] as Template[]},
        gnocchi: os.gnocchi,
        mrd: {
          async putMetric(deviceId, metric) {
            const m = sent.get(deviceId) ?? new Map<string, number>()
            m.set(metric.name, Number(metric.value))
            sent.set(deviceId, m)
            return {status: 'ok'}
          },
        },
      },
      {batchSize: 1000, concurrency: 8, dryRun: false, granularity: 300, now, ttl: 900, window: 900},
    )
    expect(report.aborted).to.equal(undefined)
    const newDevice = devices.find((d) => d.name === serverId) as Device
    expect(sent.get(newDevice.id)?.get('cpu_load')).to.equal(50)
    expect(sent.get(newDevice.id)?.get('ram_usage')).to.equal(25)
    // Every server whose cpu has two complete periods in reach (read here on its own) got a cpu_load.
    for (const [i, r] of instances.entries()) {
      const metric = r.metrics.cpu
      if (metric === undefined) continue
      const own = (await points(metric, 'mean', 300)).filter((p) => Date.parse(p[0]) >= clock.rateFrom)
      const expected = counterRate(own, clock.completeBefore)
      if ('value' in expected) expect(sent.get(devices[i].id)?.has('cpu_load'), `server ${r.id}`).to.equal(true)
    }
    // The types this Gnocchi lacks are named once, not a failure of the pass.
    expect(report.gnocchi.missingTypes.length).to.be.at.most(2)
  })
})
