import {expect} from 'chai'

import type {EntityEvent, HeldEvent} from '../../../src/lib/listen/policy.js'
import {advanceMark, backoffDelay, deadLetterReason, hintFor, isStale, isTransient, newestOf} from '../../../src/lib/listen/policy.js'
import {healthStatus} from '../../../src/lib/listen/health.js'
import {ListenStats} from '../../../src/lib/listen/stats.js'
import {MemoryWatermarks} from '../../../src/lib/listen/watermarks.js'
import {HttpError} from '../../../src/lib/http/errors.js'
import {assertOwnQueue, bindingsFor, deadLetterArguments, queueArguments} from '../../../src/lib/amqp/topology.js'

function ev(seq: number, version: number | undefined, state?: EntityEvent['state']): HeldEvent {
  return {event: {action: 'update', eventType: `e${seq}`, family: 'nova-versioned', kind: 'entity', ref: {id: 's', kind: 'server'}, state, version}, seq}
}
const full = (vm: string) => ({deleted: false as const, kind: 'server' as const, record: {vmState: vm} as never, unknown: []})

describe('listen: policy: what else a burst reconciles', () => {
  const vol = (seq: number, related?: Array<{id: string; kind: 'server'}>): HeldEvent => ({event: {action: 'attach.end', eventType: `volume.e${seq}`, family: 'cinder', kind: 'entity', ref: {id: 'v', kind: 'volume'}, ...(related === undefined ? {} : {related}), version: seq}, seq})
  const cases: Array<{batch: HeldEvent[]; name: string; related: string[] | undefined}> = [
    {batch: [vol(1)], name: 'none named: nothing else', related: undefined},
    {batch: [vol(1, [{id: 's1', kind: 'server'}])], name: 'an attach names its server', related: ['s1']},
    {batch: [vol(1, [{id: 's1', kind: 'server'}]), vol(2)], name: 'detach.start names the server, detach.end no longer: the burst still reconciles it', related: ['s1']},
    {batch: [vol(1, [{id: 's1', kind: 'server'}]), vol(2, [{id: 's2', kind: 'server'}, {id: 's1', kind: 'server'}])], name: 'each server once', related: ['s1', 's2']},
  ]
  for (const c of cases) {
    it(c.name, () => {
      expect(hintFor(c.batch, undefined).related?.map((r) => r.id)).to.deep.equal(c.related)
    })
  }
})

describe('listen: policy', () => {
  it('backs off exponentially with bounded jitter', () => {
    const o = {baseMs: 100, jitter: 0.2, maxMs: 1000}
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, o, () => 0.5))).to.deep.equal([100, 200, 400, 800, 1000])
    expect(backoffDelay(1, o, () => 0)).to.equal(80)
    expect(backoffDelay(1, o, () => 1)).to.equal(120)
    expect(backoffDelay(50, o, () => 1)).to.equal(1000)
  })

  it('tells outages from failures of the event', () => {
    const http = (kind: 'network' | 'status', status?: number) => new HttpError({kind, method: 'get', problem: 'x', status, system: 'concertim', url: 'http://c/x'})
    expect(isTransient(http('status', 503))).to.equal(true)
    expect(isTransient(http('status', 429))).to.equal(true)
    expect(isTransient(http('network'))).to.equal(true)
    expect(isTransient(http('status', 422))).to.equal(false)
    expect(isTransient(http('status', 404))).to.equal(false)
    expect(isTransient(Object.assign(new Error('x'), {code: 'ECONNREFUSED'}))).to.equal(true)
    expect(isTransient(new Error('wrapped', {cause: http('status', 502)}))).to.equal(true)
    expect(isTransient(Object.assign(new Error('incomplete'), {transient: true}))).to.equal(true)
    expect(isTransient(new TypeError('undefined is not a function'))).to.equal(false)
    expect(isTransient('string')).to.equal(false)
  })

  it('orders a burst by version, by arrival when a version is missing', () => {
    expect(newestOf([ev(0, 5), ev(1, 9), ev(2, 7)]).seq).to.equal(1)
    expect(newestOf([ev(0, 5), ev(1, 5)]).seq).to.equal(1)
    expect(newestOf([ev(0, 9), ev(1, undefined), ev(2, 1)]).seq).to.equal(2)
  })

  it('hints the newest full state, a deletion first, nothing when unordered or deleted before', () => {
    expect(hintFor([ev(0, 5, full('active')), ev(1, 9, full('stopped'))], undefined).payloadState).to.deep.equal(full('stopped'))
    expect(hintFor([ev(0, 9, {deleted: true, kind: 'server'}), ev(1, 5, full('active'))], undefined).payloadState).to.deep.equal({deleted: true, kind: 'server'})
    expect(hintFor([ev(0, 5, full('active')), ev(1, undefined, full('stopped'))], undefined).payloadState).to.equal(undefined)
    expect(hintFor([ev(0, undefined, full('stopped'))], undefined).payloadState).to.deep.equal(full('stopped'))
    expect(hintFor([ev(0, 5, full('active'))], {deleted: true, version: 1}).payloadState).to.equal(undefined)
    expect(hintFor([ev(1, 9), ev(0, 5, full('active'))], undefined)).to.deep.equal({eventTypes: ['e0', 'e1']})
  })

  it('stale = strictly older than the watermark; equal versions are applied (same-instant start/end)', () => {
    expect(isStale(ev(0, 4).event, {deleted: false, version: 5})).to.equal(true)
    expect(isStale(ev(0, 5).event, {deleted: false, version: 5})).to.equal(false)
    expect(isStale(ev(0, undefined).event, {deleted: false, version: 5})).to.equal(false)
    expect(isStale(ev(0, 1).event, undefined)).to.equal(false)
  })

  it('advances the watermark to the newest version and keeps deletions', () => {
    expect(advanceMark(undefined, [ev(0, 5), ev(1, 9)])).to.deep.equal({deleted: false, version: 9})
    expect(advanceMark({deleted: false, version: 20}, [ev(0, 5)])).to.deep.equal({deleted: false, version: 20})
    expect(advanceMark(undefined, [ev(0, undefined, {deleted: true, kind: 'server'})])).to.deep.equal({deleted: true, version: 0})
    expect(advanceMark(undefined, [ev(0, undefined)])).to.equal(undefined)
    expect(deadLetterReason(new Error('a\n b'), 1)).to.equal('reconcile failed 1 time: a b')
  })

  it('keeps a bounded number of watermarks, oldest out', async () => {
    const w = new MemoryWatermarks(2)
    await w.set('a', {deleted: false, version: 1})
    await w.set('b', {deleted: false, version: 1})
    await w.set('c', {deleted: false, version: 1})
    expect(w.peek('a')).to.equal(undefined)
    expect(w.size).to.equal(2)
  })

  it('summary and percentiles', () => {
    const s = new ListenStats(100)
    for (let i = 1; i <= 100; i++) s.latency(i)
    s.counters.received = 7
    s.counters.stale = 2
    s.counters.unknown = 1
    expect(s.summary()).to.deep.equal({applied: 0, dead_lettered: 0, failed: 0, malformed: 0, p50_ms: 51, p99_ms: 100, received: 7, resyncs: 0, skipped: 3})
  })

  it('percentiles are numeric, whatever the order the latencies came in (not as text: 100 > 9)', () => {
    const s = new ListenStats(100)
    for (let i = 0; i < 100; i++) s.latency(((i * 37) % 100) + 1)
    expect(s.percentiles()).to.deep.equal({p50: 51, p99: 100})
    const few = new ListenStats(10)
    for (const ms of [100, 9, 1000, 8.5]) few.latency(ms)
    expect(few.percentiles()).to.deep.equal({p50: 100, p99: 1000})
  })

  it('health: 503 while no notification exchange is bound (every exchange missing), 200 once one is', () => {
    expect(healthStatus({boundExchanges: 0, connected: true, consuming: true})).to.deep.include({code: 503})
    expect(healthStatus({boundExchanges: 0, connected: true, consuming: true}).body.reason).to.match(/no notification exchange is bound/)
    expect(healthStatus({boundExchanges: 1, connected: true, consuming: true}).code).to.equal(200)
  })

  it('health: 200 only when connected and consuming', () => {
    expect(healthStatus({connected: true, consuming: true}).code).to.equal(200)
    expect(healthStatus({connected: true, consuming: false})).to.deep.include({code: 503})
    expect(healthStatus({connected: false, consuming: false}).body.reason).to.equal('not connected to RabbitMQ')
    const mismatch = healthStatus({connected: true, consuming: true, exchangeFlagMismatch: ['nova']})
    expect(mismatch.code, 'OpenStack would drop its notifications after a restart: not ok').to.equal(503)
    expect(mismatch.body.reason).to.match(/exchanges nova exist with other flags than listen.declare_exchanges_durable/)
  })

  it('topology: own quorum queue with dead-lettering; nova also bound to versioned notifications; oslo queues refused', () => {
    expect(bindingsFor(['nova', 'heat']).map((b) => `${b.exchange}/${b.routingKey}`)).to.deep.equal([
      'nova/notifications.info',
      'nova/notifications.error',
      'nova/versioned_notifications.info',
      'nova/versioned_notifications.error',
      'heat/notifications.info',
      'heat/notifications.error',
    ])
    expect(queueArguments({deadLetterQueue: 'dlq', deliveryLimit: 20, exchanges: [], queue: 'q'})).to.deep.equal({'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'dlq', 'x-delivery-limit': 20, 'x-queue-type': 'quorum'})
    expect(queueArguments({deadLetterQueue: 'dlq', deliveryLimit: 20, exchanges: [], maxLength: 1000, overflow: 'reject-publish', queue: 'q'})).to.deep.include({'x-max-length': 1000, 'x-overflow': 'reject-publish'})
    expect(queueArguments({deadLetterQueue: 'dlq', deliveryLimit: 20, exchanges: [], maxLength: 1000, queue: 'q'})).to.deep.include({'x-max-length': 1000, 'x-overflow': 'drop-head'})
    expect(deadLetterArguments({deadLetterMaxLength: 50, deadLetterQueue: 'dlq', deliveryLimit: 20, exchanges: [], queue: 'q'})).to.deep.equal({'x-max-length': 50, 'x-overflow': 'drop-head', 'x-queue-type': 'quorum'})
    expect(deadLetterArguments({deadLetterMaxLength: 0, deadLetterQueue: 'dlq', deliveryLimit: 20, exchanges: [], queue: 'q'})).to.deep.equal({'x-queue-type': 'quorum'})
    expect(() => assertOwnQueue('notifications.info')).to.throw(/Ceilometer/)
    expect(() => assertOwnQueue('versioned_notifications.error')).to.throw(/shared queue/)
    expect(() => assertOwnQueue('concertim-os.notifications')).to.not.throw()
  })
})
