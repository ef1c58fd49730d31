import {expect} from 'chai'

import {counterRate, cpuLoad, type FlavorSizes, latestPoint, type Point, ramUsage, type ReadingClock, readingsOf, type ServerMeasures, summariseServer, summedRatePerSecond} from '../../../src/lib/metrics/formulas.js'

const T0 = Date.UTC(2026, 0, 1)
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')
/** Consecutive periods from T0 (`null`: a gap, as fill=null leaves it). */
const at = (values: readonly (null | number)[], g = 300): Point[] => values.map((v, i) => [iso(T0 + i * g * 1000), g, v])
/** The clock when the first `n` periods of `g` s are complete (gauges: any period from T0 on). */
const after = (n: number, g = 300): ReadingClock => ({completeBefore: T0 + n * g * 1000, since: T0})
const p = (value: null | number, granularity = 300, ts = iso(T0)): Point => [ts, granularity, value]
/** A server's points as a pass holds them (summarised with the clock's `completeBefore`). */
const series = (measures: ServerMeasures, clock: ReadingClock) => summariseServer(measures, clock.completeBefore)

describe('metrics/formulas', () => {
  describe('latestPoint', () => {
    const cases: [string, Point[] | undefined, ReturnType<typeof latestPoint>][] = [
      ['no series', undefined, undefined],
      ['an empty series', [], undefined],
      ['the last finite point', [p(1), p(2), p(3)], {granularity: 300, timestamp: iso(T0), value: 3}],
      ['skips trailing nulls (fill=null gaps)', [p(1), p(5), p(null)], {granularity: 300, timestamp: iso(T0), value: 5}],
      ['only nulls', [p(null), p(null)], undefined],
    ]
    for (const [name, points, expected] of cases) it(name, () => expect(latestPoint(points)).to.deep.equal(expected))
  })

  describe('counterRate: (mean[b] − mean[a]) / (t[b] − t[a]) over the two latest complete periods', () => {
    const cases: [string, Point[] | undefined, number, ReturnType<typeof counterRate>][] = [
      ['two complete periods', at([0, 300]), T0 + 600_000, {value: 1}],
      ['the period still filling is not used (it would under-report)', at([0, 300, 350]), T0 + 600_000, {value: 1}],
      ['the latest two complete of many', at([0, 300, 900, 1000]), T0 + 900_000, {value: 2}],
      ['polled less often than the granularity: periods with a gap between them', at([0, null, 600]), T0 + 900_000, {value: 1}],
      [
        // Real Gnocchi 4.4, a counter +1000/s measured every 5 s into 60 s periods (test/real/gnocchi-metrics):
        // mean = 27,500 then 87,500, 147,500; the period still filling (4 measures) has 167,500; rate:mean is 5,000.
        'measured every 5 s into 60 s periods (real Gnocchi): the true 1000/s, not rate:mean / 60 = 83',
        at([27_500, 87_500, 147_500, 167_500], 60),
        T0 + 180_000,
        {value: 1000},
      ],
      ['only one complete period', at([0, 300]), T0 + 300_000, {reason: 'no-recent-measures'}],
      ['no points', [], T0, {reason: 'no-recent-measures'}],
      ['no series', undefined, T0, {reason: 'no-recent-measures'}],
      ['nulls are gaps, not zeros', at([0, 300, null]), T0 + 900_000, {value: 1}],
      ['a decrease: the counter restarted', at([500, 100]), T0 + 600_000, {reason: 'counter-reset'}],
      ['an idle counter is a real 0', at([42, 42]), T0 + 600_000, {value: 0}],
    ]
    for (const [name, points, completeBefore, expected] of cases) it(name, () => expect(counterRate(points, completeBefore)).to.deep.equal(expected))
  })

  describe('cpuLoad: rate(cpu) / (1e9 × vCPUs) × 100', () => {
    const cases: [string, ServerMeasures, FlavorSizes, ReadingClock, ReturnType<typeof cpuLoad>][] = [
      ['one vCPU busy half of 300 s', {cpu: {s: at([0, 150e9])}, vcpus: {s: at([1, 1])}}, {}, after(2), {value: 50}],
      ['4 vCPUs: divided by 4 (the original did not)', {cpu: {s: at([0, 600e9])}, vcpus: {s: at([4])}}, {}, after(2), {value: 50}],
      ['60 s periods', {cpu: {s: at([0, 30e9], 60)}, vcpus: {s: at([1], 60)}}, {}, after(2, 60), {value: 50}],
      ['rounded to 2 decimals', {cpu: {s: at([0, 100e9])}, vcpus: {s: at([3])}}, {}, after(2), {value: 11.11}],
      ['vCPUs from the flavor when Gnocchi has none', {cpu: {s: at([0, 600e9])}}, {vcpus: 2}, after(2), {value: 100}],
      ['Gnocchi\'s vCPUs win over the flavor (a resize)', {cpu: {s: at([0, 600e9])}, vcpus: {s: at([4])}}, {vcpus: 2}, after(2), {value: 50}],
      ['a vCPUs point older than the window is not used', {cpu: {s: at([0, 600e9])}, vcpus: {s: at([4])}}, {vcpus: 2}, {...after(2), since: T0 + 300_000}, {value: 100}],
      ['no vCPUs anywhere', {cpu: {s: at([0, 600e9])}}, {}, after(2), {reason: 'no-vcpus'}],
      ['no cpu series', {vcpus: {s: at([2])}}, {vcpus: 2}, after(2), {reason: 'not-in-gnocchi'}],
      ['no cpu point in the window', {cpu: {s: []}, vcpus: {s: at([2])}}, {}, after(2), {reason: 'no-recent-measures'}],
      ['a new server with one complete period only', {cpu: {s: at([5e9, 9e9])}, vcpus: {s: at([2])}}, {}, after(1), {reason: 'no-recent-measures'}],
      ['a counter reset', {cpu: {s: at([9e9, 1e9])}, vcpus: {s: at([2])}}, {}, after(2), {reason: 'counter-reset'}],
      ['an idle server is a real 0', {cpu: {s: at([7e9, 7e9])}, vcpus: {s: at([2])}}, {}, after(2), {value: 0}],
    ]
    for (const [name, measures, flavor, clock, expected] of cases) it(name, () => expect(cpuLoad(series(measures, clock), flavor, clock)).to.deep.equal(expected))
  })

  describe('ramUsage: memory.usage / memory × 100 (latest points in the window)', () => {
    const cases: [string, ServerMeasures, FlavorSizes, ReadingClock, ReturnType<typeof ramUsage>][] = [
      ['a quarter', {memory: {s: at([4096])}, 'memory.usage': {s: at([1024])}}, {}, after(1), {value: 25}],
      ['the latest point', {memory: {s: at([4096])}, 'memory.usage': {s: at([512, 1024])}}, {}, after(1), {value: 25}],
      ['rounded', {memory: {s: at([3000])}, 'memory.usage': {s: at([1000])}}, {}, after(1), {value: 33.33}],
      ['the flavor\'s RAM when Gnocchi has no memory point', {memory: {s: []}, 'memory.usage': {s: at([512])}}, {ram: 2048}, after(1), {value: 25}],
      ['no size anywhere', {'memory.usage': {s: at([512])}}, {}, after(1), {reason: 'no-memory-size'}],
      ['no usage', {memory: {s: at([4096])}}, {}, after(1), {reason: 'not-in-gnocchi'}],
      ['usage only in a period that ended before the window', {memory: {s: at([4096])}, 'memory.usage': {s: at([1024])}}, {}, {...after(1), since: T0 + 300_000}, {reason: 'no-recent-measures'}],
    ]
    for (const [name, measures, flavor, clock, expected] of cases) it(name, () => expect(ramUsage(series(measures, clock), flavor, clock)).to.deep.equal(expected))
  })

  describe('summedRatePerSecond: Σ over resources of each counter\'s rate', () => {
    const names = ['disk.device.read.bytes', 'disk.device.write.bytes']
    const done = T0 + 600_000
    const cases: [string, ServerMeasures, ReturnType<typeof summedRatePerSecond>][] = [
      ['one disk', {'disk.device.read.bytes': {d1: at([0, 300])}, 'disk.device.write.bytes': {d1: at([0, 600])}}, {value: 3}],
      [
        'every disk counts, not only the first',
        {'disk.device.read.bytes': {d1: at([0, 300]), d2: at([0, 3000])}, 'disk.device.write.bytes': {d1: at([0, 600]), d2: at([5, 5])}},
        {value: 13},
      ],
      ['a disk without a rate is left out of the sum', {'disk.device.read.bytes': {d1: at([0, 300]), d2: []}, 'disk.device.write.bytes': {d1: at([0, 300]), d2: []}}, {value: 2}],
      ['a reset disk is left out, the others count', {'disk.device.read.bytes': {d1: at([300, 0]), d2: at([0, 300])}, 'disk.device.write.bytes': {d1: at([0, 0]), d2: at([0, 0])}}, {value: 1}],
      ['no disk at all', {}, {reason: 'not-in-gnocchi'}],
      ['one component missing: no value rather than half of one', {'disk.device.read.bytes': {d1: at([0, 300])}, 'disk.device.write.bytes': {d1: []}}, {reason: 'no-recent-measures'}],
      ['only resets', {'disk.device.read.bytes': {d1: at([1, 0])}, 'disk.device.write.bytes': {d1: at([1, 0])}}, {reason: 'counter-reset'}],
    ]
    for (const [name, measures, expected] of cases) it(name, () => expect(summedRatePerSecond(summariseServer(measures, done), names)).to.deep.equal(expected))
  })

  it('readingsOf: the five metrics in order, with units or the reason they have none', () => {
    const measures: ServerMeasures = {
      cpu: {s: at([0, 300e9])},
      'disk.device.read.bytes': {d1: at([0, 900_000]), d2: at([0, 1_800_000])},
      'disk.device.read.requests': {d1: at([0, 9000]), d2: at([0, 18_000])},
      'disk.device.write.bytes': {d1: at([7, 7]), d2: at([0, 90_000])},
      'disk.device.write.requests': {d1: at([0, 0]), d2: at([0, 900])},
      memory: {s: at([2048])},
      'memory.usage': {s: at([1024])},
      vcpus: {s: at([2])},
    }
    expect(readingsOf(series(measures, after(2)), {}, after(2))).to.deep.equal([
      {name: 'cpu_load', units: '%', value: 50},
      {name: 'ram_usage', units: '%', value: 50},
      {name: 'network_usage', reason: 'not-in-gnocchi'},
      {name: 'throughput', units: 'B/s', value: 9300},
      {name: 'iops', units: 'OPS/s', value: 93},
    ])
  })

  it('readingsOf: a server Gnocchi knows nothing about has no value at all (never a fake 0)', () => {
    expect(readingsOf({}, {}, after(2)).every((r) => 'reason' in r && r.reason === 'not-in-gnocchi')).to.equal(true)
  })
})
