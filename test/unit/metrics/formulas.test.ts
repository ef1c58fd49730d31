import {expect} from 'chai'

import {cpuLoad, type FlavorSizes, latestPoint, type Point, ramUsage, readingsOf, type ServerMeasures, summedRatePerSecond} from '../../../src/lib/metrics/formulas.js'

const p = (value: null | number, granularity = 300, ts = '2026-01-01T00:00:00+00:00'): Point => [ts, granularity, value]

describe('metrics/formulas', () => {
  describe('latestPoint', () => {
    const cases: [string, Point[] | undefined, ReturnType<typeof latestPoint>][] = [
      ['no series', undefined, undefined],
      ['an empty series', [], undefined],
      ['the last finite point', [p(1), p(2), p(3)], {granularity: 300, value: 3}],
      ['skips trailing nulls (fill=null gaps)', [p(1), p(5), p(null)], {granularity: 300, value: 5}],
      ['only nulls', [p(null), p(null)], undefined],
    ]
    for (const [name, points, expected] of cases) it(name, () => expect(latestPoint(points)).to.deep.equal(expected))
  })

  describe('cpuLoad: rate:mean(cpu) / (granularity × 1e9 × vCPUs) × 100', () => {
    const cases: [string, ServerMeasures, FlavorSizes, ReturnType<typeof cpuLoad>][] = [
      ['one vCPU busy half of 300 s', {cpu: {s: [p(150e9)]}, vcpus: {s: [p(1)]}}, {}, {value: 50}],
      ['4 vCPUs: divided by 4 (the original did not)', {cpu: {s: [p(600e9)]}, vcpus: {s: [p(4)]}}, {}, {value: 50}],
      ['the point\'s own granularity (60 s)', {cpu: {s: [p(30e9, 60)]}, vcpus: {s: [p(1)]}}, {}, {value: 50}],
      ['rounded to 2 decimals', {cpu: {s: [p(100e9)]}, vcpus: {s: [p(3)]}}, {}, {value: 11.11}],
      ['vCPUs from the flavor when Gnocchi has none', {cpu: {s: [p(600e9)]}}, {vcpus: 2}, {value: 100}],
      ['Gnocchi\'s vCPUs win over the flavor (a resize)', {cpu: {s: [p(600e9)]}, vcpus: {s: [p(4)]}}, {vcpus: 2}, {value: 50}],
      ['no vCPUs anywhere', {cpu: {s: [p(600e9)]}}, {}, {reason: 'no-vcpus'}],
      ['no cpu series', {vcpus: {s: [p(2)]}}, {vcpus: 2}, {reason: 'not-in-gnocchi'}],
      ['no cpu point in the window', {cpu: {s: []}, vcpus: {s: [p(2)]}}, {}, {reason: 'no-recent-measures'}],
      ['a negative rate (counter reset)', {cpu: {s: [p(-5e9)]}, vcpus: {s: [p(2)]}}, {}, {reason: 'counter-reset'}],
      ['an idle server is a real 0', {cpu: {s: [p(0)]}, vcpus: {s: [p(2)]}}, {}, {value: 0}],
    ]
    for (const [name, measures, flavor, expected] of cases) it(name, () => expect(cpuLoad(measures, flavor)).to.deep.equal(expected))
  })

  describe('ramUsage: memory.usage / memory × 100', () => {
    const cases: [string, ServerMeasures, FlavorSizes, ReturnType<typeof ramUsage>][] = [
      ['a quarter', {memory: {s: [p(4096)]}, 'memory.usage': {s: [p(1024)]}}, {}, {value: 25}],
      ['rounded', {memory: {s: [p(3000)]}, 'memory.usage': {s: [p(1000)]}}, {}, {value: 33.33}],
      ['the flavor\'s RAM when Gnocchi has no memory point', {memory: {s: []}, 'memory.usage': {s: [p(512)]}}, {ram: 2048}, {value: 25}],
      ['no size anywhere', {'memory.usage': {s: [p(512)]}}, {}, {reason: 'no-memory-size'}],
      ['no usage', {memory: {s: [p(4096)]}}, {}, {reason: 'not-in-gnocchi'}],
    ]
    for (const [name, measures, flavor, expected] of cases) it(name, () => expect(ramUsage(measures, flavor)).to.deep.equal(expected))
  })

  describe('summedRatePerSecond: Σ over resources of rate / granularity', () => {
    const names = ['disk.device.read.bytes', 'disk.device.write.bytes']
    const cases: [string, ServerMeasures, ReturnType<typeof summedRatePerSecond>][] = [
      ['one disk', {'disk.device.read.bytes': {d1: [p(300)]}, 'disk.device.write.bytes': {d1: [p(600)]}}, {value: 3}],
      [
        'every disk counts, not only the first',
        {'disk.device.read.bytes': {d1: [p(300)], d2: [p(3000)]}, 'disk.device.write.bytes': {d1: [p(600)], d2: [p(0)]}},
        {value: 13},
      ],
      ['a disk without recent points is left out of the sum', {'disk.device.read.bytes': {d1: [p(300)], d2: []}, 'disk.device.write.bytes': {d1: [p(300)], d2: []}}, {value: 2}],
      ['a reset disk is left out, the others count', {'disk.device.read.bytes': {d1: [p(-300)], d2: [p(300)]}, 'disk.device.write.bytes': {d1: [p(0)], d2: [p(0)]}}, {value: 1}],
      ['no disk at all', {}, {reason: 'not-in-gnocchi'}],
      ['one component missing: no value rather than half of one', {'disk.device.read.bytes': {d1: [p(300)]}, 'disk.device.write.bytes': {d1: []}}, {reason: 'no-recent-measures'}],
      ['only resets', {'disk.device.read.bytes': {d1: [p(-1)]}, 'disk.device.write.bytes': {d1: [p(-1)]}}, {reason: 'counter-reset'}],
    ]
    for (const [name, measures, expected] of cases) it(name, () => expect(summedRatePerSecond(measures, names)).to.deep.equal(expected))
  })

  it('readingsOf: the five metrics in order, with units or the reason they have none', () => {
    const measures: ServerMeasures = {
      cpu: {s: [p(300e9)]},
      'disk.device.read.bytes': {d1: [p(3000)], d2: [p(6000)]},
      'disk.device.read.requests': {d1: [p(30)], d2: [p(60)]},
      'disk.device.write.bytes': {d1: [p(0)], d2: [p(300)]},
      'disk.device.write.requests': {d1: [p(0)], d2: [p(3)]},
      memory: {s: [p(2048)]},
      'memory.usage': {s: [p(1024)]},
      vcpus: {s: [p(2)]},
    }
    expect(readingsOf(measures)).to.deep.equal([
      {name: 'cpu_load', units: '%', value: 50},
      {name: 'ram_usage', units: '%', value: 50},
      {name: 'network_usage', reason: 'not-in-gnocchi'},
      {name: 'throughput', units: 'B/s', value: 31},
      {name: 'iops', units: 'OPS/s', value: 0.31},
    ])
  })

  it('readingsOf: a server Gnocchi knows nothing about has no value at all (never a fake 0)', () => {
    expect(readingsOf({}).every((r) => 'reason' in r && r.reason === 'not-in-gnocchi')).to.equal(true)
  })
})
