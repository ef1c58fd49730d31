import {expect} from 'chai'

import type {Metric, MetricResult} from '../../../src/lib/concertim/mrd.js'
import {ExitCode} from '../../../src/lib/exit-codes.js'
import type {MetricReading} from '../../../src/lib/metrics/formulas.js'
import {type DeviceReadings, outcomeOf, pushReadings, toMrdMetric} from '../../../src/lib/metrics/push.js'
import {passExitCode} from '../../../src/lib/metrics/run.js'

const FULL: MetricReading[] = [
  {name: 'cpu_load', units: '%', value: 12.5},
  {name: 'ram_usage', units: '%', value: 40},
  {name: 'network_usage', reason: 'not-in-gnocchi'},
  {name: 'throughput', units: 'B/s', value: 1000},
  {name: 'iops', units: 'OPS/s', value: 0},
]

function device(id: string, readings: MetricReading[] = FULL): DeviceReadings {
  return {readings, target: {deviceId: id, instanceId: `server-${id}`}}
}

describe('metrics/push', () => {
  it('the MRD body: a double, slope both, whole ttl ≥ 1', () => {
    expect(toMrdMetric({name: 'cpu_load', units: '%', value: 1.5}, 900)).to.deep.equal({name: 'cpu_load', slope: 'both', ttl: 900, type: 'double', units: '%', value: 1.5})
    expect(toMrdMetric({name: 'iops', units: 'OPS/s', value: 0}, 0.4).ttl).to.equal(1)
  })

  const outcomes: [string, MetricResult, ReturnType<typeof outcomeOf>][] = [
    ['ok', {status: 'ok'}, {outcome: 'sent'}],
    ['404 Host Not Found', {message: 'adding host: Unknown host: d1', status: 'unknown-device'}, {message: 'adding host: Unknown host: d1', outcome: 'unknown-device'}],
    ['422 with the MRD\'s messages', {problems: [{field: 'ttl', message: 'ttl must be 1 or greater'}, {message: 'value is not valid for type int32'}], status: 'invalid'}, {message: 'ttl: ttl must be 1 or greater; value is not valid for type int32', outcome: 'invalid'}],
  ]
  for (const [name, result, expected] of outcomes) it(`outcomeOf: ${name}`, () => expect(outcomeOf(result)).to.deep.equal(expected))

  it('sends every value (not the no-data ones), one metric per request', async () => {
    const got: [string, Metric][] = []
    const tally = await pushReadings(async (id, m) => {
      got.push([id, m])
      return {status: 'ok'}
    }, [device('a'), device('b')], {concurrency: 2, ttl: 60})
    expect(tally).to.include({failed: 0, invalid: 0, sent: 8, unknownDevices: 0})
    expect(got.filter(([id]) => id === 'a').map(([, m]) => m.name)).to.deep.equal(['cpu_load', 'ram_usage', 'throughput', 'iops'])
    expect(got.every(([, m]) => m.name !== 'network_usage')).to.equal(true)
  })

  it('a device unknown to the MRD costs one request and is counted; the others go on', async () => {
    let calls = 0
    const tally = await pushReadings(async (id) => {
      calls++
      return id === 'new' ? {message: 'adding host: Unknown host: new', status: 'unknown-device'} : {status: 'ok'}
    }, [device('a'), device('new'), device('b')], {concurrency: 1, ttl: 60})
    expect(calls).to.equal(9)
    expect(tally).to.include({sent: 8, unknownDeviceMetrics: 4, unknownDevices: 1})
    expect(tally.problems).to.deep.equal([{deviceId: 'new', instanceId: 'server-new', message: 'adding host: Unknown host: new', metric: 'cpu_load', outcome: 'unknown-device'}])
  })

  it('a failing or rejected metric is reported and the device\'s other metrics still go', async () => {
    const tally = await pushReadings(async (id, m) => {
      if (id === 'a' && m.name === 'ram_usage') throw new Error('mrd: PUT failed with HTTP 503')
      if (id === 'b' && m.name === 'iops') return {problems: [{field: 'units', message: "units cannot contain any of the following characters '<>'\"&'"}], status: 'invalid'}
      return {status: 'ok'}
    }, [device('a'), device('b')], {concurrency: 4, ttl: 60})
    expect(tally).to.include({failed: 1, invalid: 1, sent: 6})
    expect(tally.problems.map((p) => [p.deviceId, p.metric, p.outcome])).to.deep.equal([
      ['a', 'ram_usage', 'failed'],
      ['b', 'iops', 'invalid'],
    ])
    expect(tally.problems[1].message).to.contain('units cannot contain')
  })

  it('never more devices in flight than the bound', async () => {
    let inFlight = 0
    let most = 0
    await pushReadings(async () => {
      inFlight++
      most = Math.max(most, inFlight)
      await new Promise((r) => setImmediate(r))
      inFlight--
      return {status: 'ok'}
    }, Array.from({length: 20}, (_, i) => device(`d${i}`)), {concurrency: 3, ttl: 60})
    expect(most).to.equal(3)
  })

  it('an MRD that fails everything stops the pass after N failures in a row (nothing sent)', async () => {
    let calls = 0
    const tally = await pushReadings(async () => {
      calls++
      throw new Error('mrd: connect ECONNREFUSED')
    }, Array.from({length: 10}, (_, i) => device(`d${i}`)), {abortAfter: 5, concurrency: 1, ttl: 60})
    expect(calls).to.equal(5)
    expect(tally.aborted).to.contain('failed 5 requests in a row')
    expect(tally.failed + tally.notAttempted).to.equal(40)
  })

  it('failures after a success do not stop the pass', async () => {
    let n = 0
    const tally = await pushReadings(async () => (n++ === 0 ? {status: 'ok'} : Promise.reject(new Error('HTTP 503'))), Array.from({length: 5}, (_, i) => device(`d${i}`)), {abortAfter: 2, concurrency: 1, ttl: 60})
    expect(tally.aborted).to.equal(undefined)
    expect(tally).to.include({failed: 19, sent: 1})
  })

  const exits: [string, {aborted?: string; failed: number; invalid: number}, number][] = [
    ['all sent', {failed: 0, invalid: 0}, ExitCode.OK],
    ['some failed', {failed: 2, invalid: 0}, ExitCode.PARTIAL],
    ['some rejected', {failed: 0, invalid: 1}, ExitCode.PARTIAL],
    ['aborted', {aborted: 'mrd down', failed: 10, invalid: 0}, ExitCode.FAILURE],
  ]
  for (const [name, tally, code] of exits) it(`exit code: ${name} → ${code}`, () => expect(passExitCode(tally)).to.equal(code))
})
