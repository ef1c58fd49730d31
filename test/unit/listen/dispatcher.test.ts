import {expect} from 'chai'

import {Dispatcher} from '../../../src/lib/listen/dispatcher.js'
import {retryDecision} from '../../../src/lib/listen/policy.js'
import {claimFor} from '../../../src/lib/listen/rack-locks.js'
import {ListenStats} from '../../../src/lib/listen/stats.js'
import {MemoryWatermarks} from '../../../src/lib/listen/watermarks.js'
import {silentLogger} from '../../../src/lib/output/logger.js'
import {envelope} from '../events/wire-fixtures.js'
import {FakeDelivery, FakeReconciler, serverEvent, stackEvent, tick} from './support.js'

function setup(reconciler = new FakeReconciler(), over: Partial<ConstructorParameters<typeof Dispatcher>[0]> = {}) {
  const stats = new ListenStats()
  const watermarks = new MemoryWatermarks()
  const d = new Dispatcher({deadLetterMalformed: false, debounceMs: 5, logger: silentLogger, maxAttempts: 3, reconcile: reconciler.reconcile, retry: {baseMs: 2, jitter: 0, maxMs: 10}, stats, watermarks, ...over})
  return {d, reconciler, stats, watermarks}
}

class TransientError extends Error {
  readonly status = 503
}

describe('listen: the delivery loop', () => {
  it('acks and counts malformed bodies and unknown or ignored event types, without a reconcile', async () => {
    const {d, reconciler, stats} = setup()
    const bodies = ['not json', '{"oslo.version":"2.0","oslo.message":"{"}', JSON.stringify({event_type: 'image.upload', payload: {}}), JSON.stringify({event_type: 'compute.instance.exists', payload: {instance_id: 'x'}}), JSON.stringify({event_type: 'instance.update', payload: {}})]
    const ds = bodies.map((b) => new FakeDelivery(Buffer.from(b)))
    for (const x of ds) d.receive(x)
    await d.whenIdle()
    expect(ds.map((x) => x.acked)).to.deep.equal([1, 1, 1, 1, 1])
    expect(reconciler.calls).to.have.length(0)
    expect(stats.counters).to.deep.include({ignored: 1, malformed: 3, received: 5, unknown: 1})
  })

  it('dead-letters malformed bodies with the reason when configured', async () => {
    const {d, stats} = setup(undefined, {deadLetterMalformed: true})
    const x = new FakeDelivery(Buffer.from('{{{'))
    d.receive(x)
    await tick(5)
    expect(x.deadLettered[0]).to.match(/^malformed: not JSON/)
    expect(stats.counters.deadLettered).to.equal(1)
  })

  it('coalesces a burst for one entity into one reconcile with the newest payload state, acks after it', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const reconciler = new FakeReconciler(async () => {
      await gate
      return {applied: true}
    })
    const {d, stats} = setup(reconciler)
    const burst = [serverEvent('s1', {second: 1, state: 'building'}), serverEvent('s1', {second: 3, state: 'stopped'}), serverEvent('s1', {envelope: 'v1', second: 2, state: 'active'})]
    for (const x of burst) d.receive(x)
    await tick(20)
    expect(reconciler.calls).to.have.length(1)
    expect(burst.every((x) => x.acked === 0), 'nothing acked before the write').to.equal(true)
    release()
    await d.whenIdle()
    expect(burst.map((x) => x.acked)).to.deep.equal([1, 1, 1])
    const hint = reconciler.calls[0].hint
    expect(reconciler.calls[0].ref).to.deep.equal({id: 's1', kind: 'server'})
    expect(hint.eventTypes).to.deep.equal(['instance.update', 'instance.update', 'instance.update'])
    expect(hint.payloadState).to.deep.include({deleted: false, kind: 'server'})
    expect((hint.payloadState as {record: {vmState: string}}).record.vmState).to.equal('stopped')
    expect(stats.counters.applied).to.equal(3)
  })

  it('never runs two reconciles of one entity at once; events arriving meanwhile make one more', async () => {
    const reconciler = new FakeReconciler(async () => {
      await tick(15)
      return {applied: true}
    })
    const {d} = setup(reconciler)
    d.receive(serverEvent('s1', {second: 1}))
    await tick(8)
    for (let i = 2; i < 6; i++) d.receive(serverEvent('s1', {second: i}))
    // Another project's stack: nothing in common with s1, so it runs meanwhile.
    d.receive(stackEvent('st1', 0, {tenant: 'p2'}))
    await d.whenIdle()
    expect(reconciler.calls.filter((c) => c.ref.kind === 'server')).to.have.length(2)
    expect(reconciler.calls.filter((c) => c.ref.kind === 'stack')).to.have.length(1)
    expect(reconciler.maxActive).to.equal(2)
  })

  it('an older event after a newer one changes nothing (acked, counted stale)', async () => {
    const {d, reconciler, stats} = setup()
    d.receive(serverEvent('s1', {second: 9, state: 'stopped'}))
    await d.whenIdle()
    const old = serverEvent('s1', {second: 4, state: 'active'})
    d.receive(old)
    await d.whenIdle()
    expect(reconciler.calls).to.have.length(1)
    expect(old.acked).to.equal(1)
    expect(stats.counters.stale).to.equal(1)
  })

  it('the same notification delivered twice reconciles once', async () => {
    const {d, reconciler, stats} = setup()
    d.receive(serverEvent('s1', {messageId: 'same', second: 1}))
    await d.whenIdle()
    const again = serverEvent('s1', {messageId: 'same', second: 1})
    d.receive(again)
    await d.whenIdle()
    expect(reconciler.calls).to.have.length(1)
    expect(again.acked).to.equal(1)
    expect(stats.counters.duplicate).to.equal(1)
  })

  it('a deletion in a burst wins; after it, payload states are not trusted (the entity is fetched)', async () => {
    const {d, reconciler} = setup()
    d.receive(serverEvent('s1', {second: 5}))
    d.receive(serverEvent('s1', {deleted: true, second: 4}))
    await d.whenIdle()
    expect(reconciler.calls[0].hint.payloadState).to.deep.equal({deleted: true, kind: 'server'})
    d.receive(serverEvent('s1', {second: 7}))
    await d.whenIdle()
    expect(reconciler.calls[1].hint.payloadState).to.equal(undefined)
  })

  it('an outage (503, refused connections) is waited out: messages stay unacked, never dead-lettered', async () => {
    const reconciler = new FakeReconciler((_c, n) => {
      if (n <= 6) throw new TransientError('concertim: 503 Service Unavailable')
      return {applied: true}
    })
    const {d, stats} = setup(reconciler, {maxAttempts: 2})
    const x = serverEvent('s1')
    d.receive(x)
    await tick(30)
    await d.whenIdle()
    expect(reconciler.calls).to.have.length(7)
    expect(x.acked).to.equal(1)
    expect(x.deadLettered).to.deep.equal([])
    expect(stats.counters).to.deep.include({applied: 1, deadLettered: 0, failed: 6})
  })

  it('an outage is retried only within listen.max_hold_ms: then dead-lettered with the reason, and a full reconcile asked for', async () => {
    const reconciler = new FakeReconciler(() => {
      throw new TransientError('concertim: 503 Service Unavailable')
    })
    const gaps: string[] = []
    const {d, stats} = setup(reconciler, {maxAttempts: 2, maxHoldMs: 80, onGap: (r) => gaps.push(r)})
    const x = serverEvent('s1')
    d.receive(x)
    await tick(300)
    await d.whenIdle()
    expect(reconciler.calls.length, 'retried meanwhile, beyond max_attempts (an outage does not count)').to.be.greaterThan(2)
    expect(x.deadLettered).to.have.length(1)
    expect(x.deadLettered[0]).to.match(/^not applied within 0 s \(\d+ attempts; sync repairs it\): concertim: 503 Service Unavailable$/)
    expect(stats.counters.deadLettered).to.equal(1)
    expect(gaps).to.have.length(1)
    expect(gaps[0]).to.match(/^server:s1: not applied within/)
  })

  it('retry decisions: attempts count failures of the event only; time bounds every failure', () => {
    const b = {maxAttempts: 3, maxHoldMs: 1000}
    expect(retryDecision({delayMs: 10, failures: 3, heldMs: 0, outage: false}, b)).to.equal('attempts')
    expect(retryDecision({delayMs: 10, failures: 3, heldMs: 0, outage: true}, b)).to.equal('retry')
    expect(retryDecision({delayMs: 300, failures: 0, heldMs: 800, outage: true}, b)).to.equal('time')
    expect(retryDecision({delayMs: 100, failures: 1, heldMs: 800, outage: false}, b)).to.equal('retry')
  })

  it('a message failing N times goes to the dead-letter queue with the reason', async () => {
    const reconciler = new FakeReconciler(() => {
      throw new Error('concertim: POST /api/v1/devices 422: name has already been taken')
    })
    const {d, stats} = setup(reconciler, {maxAttempts: 3})
    const x = serverEvent('s1')
    d.receive(x)
    await d.whenIdle()
    expect(reconciler.calls).to.have.length(3)
    expect(x.deadLettered).to.have.length(1)
    expect(x.deadLettered[0]).to.equal('reconcile failed 3 times: concertim: POST /api/v1/devices 422: name has already been taken')
    expect(stats.counters).to.deep.include({deadLettered: 1, failed: 3})
  })

  it('drain: reconciles what waits for its debounce, finishes running work, leaves outage-waiting messages unacked', async () => {
    const reconciler = new FakeReconciler(async (call) => {
      if (call.ref.id === 'down') throw new TransientError('503')
      await tick(20)
      return {applied: true}
    })
    const {d} = setup(reconciler, {debounceMs: 10_000, retry: {baseMs: 10_000, maxMs: 10_000}})
    const waiting = serverEvent('s1')
    const down = serverEvent('down')
    d.receive(waiting)
    d.receive(down)
    const left = await d.drain(2000)
    expect(waiting.acked, 'debounced work done at shutdown').to.equal(1)
    expect(down.acked, 'outage: left for redelivery').to.equal(0)
    expect(left).to.equal(1)
    expect(d.inFlight).to.equal(0)
  })

  it('drain gives up after its timeout, leaving a stuck reconcile for redelivery', async () => {
    const reconciler = new FakeReconciler(async () => new Promise(() => undefined))
    const {d} = setup(reconciler, {debounceMs: 1})
    const x = serverEvent('s1')
    d.receive(x)
    await tick(10)
    const t0 = Date.now()
    const left = await d.drain(50)
    expect(Date.now() - t0).to.be.lessThan(2000)
    expect(left).to.equal(1)
    expect(x.acked).to.equal(0)
  })

  it('an ack whose channel is gone is counted (the broker redelivers it)', async () => {
    const {d, stats} = setup()
    const x = serverEvent('s1')
    x.lost = true
    d.receive(x)
    await d.whenIdle()
    expect(stats.counters.ackLost).to.equal(1)
  })
})

describe('listen: concurrency bound', () => {
  it('reconciles at most `concurrency` entities at once, and all of them in the end', async () => {
    const reconciler = new FakeReconciler(async () => {
      await tick(5)
      return {applied: true}
    })
    const {d} = setup(reconciler, {concurrency: 3, debounceMs: 0})
    // Servers of different projects (one project's new servers take turns: see the rack tests).
    const ds = Array.from({length: 12}, (_, i) => serverEvent(`s${i}`, {tenant: `p${i}`}))
    for (const x of ds) d.receive(x)
    await d.whenIdle()
    expect(reconciler.maxActive).to.equal(3)
    expect(ds.every((x) => x.acked === 1)).to.equal(true)
  })
})

describe('listen: one rack written at a time', () => {
  const slow = () =>
    new FakeReconciler(async () => {
      await tick(15)
      return {applied: true}
    })

  it("a stack's first event and its server's first event are reconciled one after the other (both would create the rack)", async () => {
    const reconciler = slow()
    const {d} = setup(reconciler, {debounceMs: 0})
    const ds = [stackEvent('st1', 0, {eventType: 'orchestration.stack.create.end'}), serverEvent('s1'), serverEvent('s2'), stackEvent('st1-group', 0, {eventType: 'orchestration.stack.create.end'})]
    for (const x of ds) d.receive(x)
    await d.whenIdle()
    expect(reconciler.calls).to.have.length(4)
    expect(reconciler.maxActive).to.equal(1)
    expect(ds.every((x) => x.acked === 1)).to.equal(true)
  })

  it('entities of different projects run side by side', async () => {
    const reconciler = slow()
    const {d} = setup(reconciler, {debounceMs: 0})
    for (const x of [stackEvent('a', 0, {tenant: 'p1'}), serverEvent('b', {tenant: 'p2'}), serverEvent('c', {tenant: 'p3'})]) d.receive(x)
    await d.whenIdle()
    expect(reconciler.maxActive).to.equal(3)
  })

  it("devices the view store places in different racks update side by side; one rack's in turn; a project-wide claim waits for them and they for it", async () => {
    const reconciler = new FakeReconciler(async () => {
      await tick(15)
      return {applied: true}
    })
    const racks: Record<string, string> = {a1: 'rack:A', a2: 'rack:A', b1: 'rack:B'}
    const order: string[] = []
    const tracked = new FakeReconciler(async (call) => {
      order.push(`start ${call.ref.id}`)
      await reconciler.reconcile(call.ref, call.hint)
      order.push(`end ${call.ref.id}`)
      return {applied: true}
    })
    const {d} = setup(tracked, {claim: async (ref, projectId) => claimFor(ref, projectId, racks[ref.id]), debounceMs: 0})
    for (const id of ['a1', 'b1', 'a2']) d.receive(serverEvent(id))
    await tick(5)
    d.receive(serverEvent('new-server'))
    await d.whenIdle()
    expect(order.slice(0, 2)).to.have.members(['start a1', 'start b1'])
    expect(order.indexOf('start a2'), 'same rack: after a1').to.be.greaterThan(order.indexOf('end a1'))
    // The new server (rack unknown: project-wide) came after a2 asked: it waits for a2, a2 for a1.
    expect(order.indexOf('start new-server')).to.be.greaterThan(Math.max(order.indexOf('end a2'), order.indexOf('end b1')))
    expect(reconciler.maxActive).to.equal(2)
  })

  it('a notification with a wrongly typed field is dead-lettered with the reason, never applied', async () => {
    const {d, reconciler, stats} = setup(new FakeReconciler(), {deadLetterMalformed: true})
    const bad = {event_type: 'instance.update', message_id: 'bad', payload: {'nova_object.data': {power_state: 'running', state: 42, tenant_id: 'p1', uuid: 's1'}}, priority: 'INFO', timestamp: '2026-01-01 00:00:01.000000'}
    const delivery = new FakeDelivery(Buffer.from(envelope(bad, 'v2')))
    d.receive(delivery)
    await d.whenIdle()
    await tick(1)
    expect(reconciler.calls).to.have.length(0)
    expect(delivery.deadLettered).to.have.length(1)
    expect(delivery.deadLettered[0]).to.match(/^malformed: instance\.update: .*'state'/)
    expect(stats.counters).to.deep.include({deadLettered: 1, malformed: 1})
  })

  it("a volume's attach, which also reconciles its server (another rack), claims the whole project", async () => {
    const order: string[] = []
    const tracked = new FakeReconciler(async (call) => {
      order.push(`start ${call.ref.id}`)
      await tick(15)
      order.push(`end ${call.ref.id}`)
      return {applied: true}
    })
    const racks: Record<string, string> = {b1: 'rack:B', v1: 'rack:A'}
    const {d} = setup(tracked, {claim: async (ref, projectId) => claimFor(ref, projectId, racks[ref.id]), debounceMs: 0})
    const attach = {event_type: 'volume.attach.end', message_id: 'va', payload: {status: 'in-use', tenant_id: 'p1', volume_attachment: [{attach_status: 'attached', instance_uuid: 'b1', volume_id: 'v1'}], volume_id: 'v1'}, priority: 'INFO', timestamp: '2026-01-01 00:00:01.000000'}
    d.receive(new FakeDelivery(Buffer.from(envelope(attach, 'v1'))))
    d.receive(serverEvent('b1'))
    await d.whenIdle()
    expect(tracked.calls.find((c) => c.ref.id === 'v1')?.hint.related).to.deep.equal([{id: 'b1', kind: 'server'}])
    expect(order.indexOf('start b1'), 'after the volume and its server').to.be.greaterThan(order.indexOf('end v1'))
  })

  it('claims: by rack when the store knows it, the whole project otherwise, the entity alone without a project', () => {
    const cases: Array<[Parameters<typeof claimFor>, ReturnType<typeof claimFor>]> = [
      [[{id: 's', kind: 'server'}, 'p', 'rack:st'], {project: 'p', rack: 'rack:st'}],
      [[{id: 's', kind: 'server'}, 'p', undefined], {project: 'p'}],
      [[{id: 'st', kind: 'stack'}, 'p', 'rack:st'], {project: 'p'}],
      [[{id: 'v', kind: 'volume'}, 'p', 'rack:project:p'], {project: 'p', rack: 'rack:project:p'}],
      [[{id: 'p', kind: 'project'}, undefined, undefined], {project: 'p'}],
      [[{id: 'n', kind: 'network'}, undefined, undefined], {rack: 'network:n'}],
      [[{id: 'u', kind: 'user'}, undefined, undefined], {}],
    ]
    for (const [args, want] of cases) expect(claimFor(...args), JSON.stringify(args)).to.deep.equal(want)
  })
})
