/**
 * The simulator's notifications are OpenStack's: every generated message has the keys and value
 * types of the real one of the same event type (test/fixtures/recorded/notifications.json, captured
 * from a real Zed cloud by test/real/record.ts), the same exchange, routing key and AMQP properties;
 * and they really go through RabbitMQ (publisher confirms, oslo envelope v2 or raw v1, formats).
 */
import amqp from 'amqplib'
import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import {DEFAULT_EXCHANGES, notificationsFor} from '../../../src/sim/notifications/events.js'
import {encodeBody, OSLO_AMQP_PROPERTIES, type OsloNotification, routingKey, wireMessage} from '../../../src/sim/notifications/oslo.js'
import type {WorldChange} from '../../../src/sim/world.js'
import {AMQP_URL, requireService} from '../../support/services.js'
import {shapeDifferences} from '../../support/shape.js'

interface RealCapture {
  body: string
  exchange: string
  properties: Record<string, unknown>
  routing_key: string
}

const REAL = JSON.parse(readFileSync(new URL('../../fixtures/recorded/notifications.json', import.meta.url), 'utf8')) as Record<string, RealCapture>
const SHARED = '/work/shared/fixtures/notifications'
const RECORDED_NEUTRON = JSON.parse(readFileSync(new URL('../../fixtures/recorded/neutron.json', import.meta.url), 'utf8')) as {calls: Record<string, {answer: {body: {network: unknown}}}>}

function inner(body: string): Record<string, unknown> {
  const outer = JSON.parse(body) as Record<string, unknown>
  return typeof outer['oslo.message'] === 'string' ? (JSON.parse(outer['oslo.message']) as Record<string, unknown>) : outer
}

const DICTS = ['payload.metadata', 'payload.image_meta', 'payload.nova_object.data.metadata', 'payload.nova_object.data.flavor.nova_object.data.extra_specs', 'payload.nova_object.data.new_flavor.nova_object.data.extra_specs']

/** Drive the simulated cloud through every kind of change and return the events. */
function everyChange(sim: Simulator): WorldChange[] {
  const events: WorldChange[] = []
  const collect = (c: WorldChange) => events.push(c)
  sim.world.events.on('change', collect)
  const c = sim.changes
  const team = sim.cloud.teams[0]
  const net = c.createNetwork({name: 'n-test', projectId: team.projectId})
  c.updateNetwork(net.id, {name: 'n-test-2'})
  const s = c.createServer({name: 'vm-test', networkIds: [net.id], projectId: team.projectId})
  for (const step of [c.stopServer, c.startServer, c.rebootServer, c.suspendServer, c.resumeServer, c.pauseServer, c.unpauseServer, c.shelveServer, c.unshelveServer]) step.call(c, s.id)
  c.resizeServer(s.id, sim.world.flavors.all().find((f) => f.id !== s.flavorId)?.id ?? s.flavorId)
  const v = c.createVolume({name: 'vol-test', projectId: team.projectId, size: 1})
  c.attachVolume(v.id, s.id)
  c.detachVolume(v.id, s.id)
  c.deleteVolume(v.id)
  c.deleteServer(s.id)
  const building = c.createServer({building: true, name: 'vm-fail', projectId: team.projectId})
  c.errorServer(building.id)
  const stack = c.createStack({name: 'st-test', projectId: team.projectId, servers: 1})
  c.updateStack(stack.id, {addServers: 1})
  c.failStack(stack.id)
  c.deleteStack(stack.id)
  c.deleteNetwork(net.id)
  sim.world.events.off('change', collect)
  return events
}

/** The real message a generated one is held to, and what may differ (with the reason). */
function reference(n: OsloNotification): {extraKeys?: string[]; message: Record<string, unknown>; sameRoute: boolean} | undefined {
  const real = REAL[n.eventType]
  if (real) return {message: inner(real.body), sameRoute: true}
  const payload = n.payload as Record<string, unknown>
  // Versioned: a real message with the same payload class (e.g. suspend.end ~ power_off.end, InstanceActionPayload 1.8).
  if (typeof payload['nova_object.name'] === 'string') {
    const same = Object.values(REAL).map((r) => inner(r.body)).find((m) => (m.payload as Record<string, unknown>)['nova_object.name'] === payload['nova_object.name'])
    return same && {message: same, sameRoute: false}
  }
  if (n.eventType === 'compute.instance.create.error') return {extraKeys: ['payload.code', 'payload.message'], message: inner(REAL['compute.instance.power_off.end'].body), sameRoute: false}
  if (n.eventType.startsWith('compute.instance.')) return {message: inner(REAL['compute.instance.power_off.end'].body), sameRoute: false}
  if (n.eventType.startsWith('orchestration.stack.')) return {message: inner(REAL['orchestration.stack.create.error'].body), sameRoute: false}
  return undefined
}

describe('simulated notifications', () => {
  let sim: Simulator
  let changes: WorldChange[]
  let generated: OsloNotification[]

  before(async () => {
    sim = await startSimulator({preset: 'small', seed: 5})
    changes = everyChange(sim)
    generated = changes.flatMap((c) => notificationsFor(sim.world, c, {exchanges: DEFAULT_EXCHANGES, format: 'both', glanceUrl: 'http://127.0.0.1:9292'}))
  })
  after(async () => sim.stop())

  it('nova and heat: every message has the keys and types of the real one, on its exchange and routing key', () => {
    const checked = new Set<string>()
    for (const n of generated.filter((x) => x.exchange === 'nova' || x.exchange === 'heat')) {
      const ref = reference(n)
      expect(ref, `a real reference for ${n.eventType}`).not.to.equal(undefined)
      if (ref === undefined) continue
      const msg = wireMessage(n)
      const diff = shapeDifferences({...ref.message, event_type: ''}, {...msg, event_type: ''}, {dictionaries: DICTS, extraKeys: ref.extraKeys})
      expect(diff, n.eventType).to.deep.equal([])
      if (ref.sameRoute) {
        const real = REAL[n.eventType]
        expect([n.exchange, routingKey(n)], n.eventType).to.deep.equal([real.exchange, real.routing_key])
        expect(msg.publisher_id as string, n.eventType).to.match(new RegExp(`^${String(inner(real.body).publisher_id).split(/[.:]/)[0]}[.:]`))
      }
      checked.add(n.eventType)
    }
    // What the changes API made, by kind: a guard against the loop above checking nothing.
    for (const t of ['compute.instance.create.end', 'instance.create.end', 'instance.update', 'compute.instance.update', 'instance.suspend.end', 'instance.shelve_offload.end', 'instance.resize_prep.start', 'instance.volume_attach.end', 'compute.instance.volume.detach', 'instance.delete.end', 'instance.create.error', 'compute.instance.create.error', 'orchestration.stack.create.start', 'orchestration.stack.update.end', 'orchestration.stack.update.error', 'orchestration.stack.delete.end'])
      expect(checked, t).to.include(t)
  })

  it('errors go to notifications.error / versioned_notifications.error at priority ERROR', () => {
    const errors = generated.filter((n) => n.eventType.endsWith('.error'))
    expect(errors.map((n) => routingKey(n)).sort()).to.deep.equal(['notifications.error', 'notifications.error', 'versioned_notifications.error'])
    expect(errors.every((n) => n.priority === 'ERROR')).to.equal(true)
    expect(REAL['orchestration.stack.create.error'].routing_key).to.equal('notifications.error')
  })

  it('cinder: volume.* payloads have the shape of the real cinder samples, on exchange openstack', () => {
    const volume = generated.filter((n) => n.eventType.startsWith('volume.'))
    expect(volume.map((n) => n.eventType)).to.deep.equal(['volume.create.start', 'volume.create.end', 'volume.attach.start', 'volume.attach.end', 'volume.detach.start', 'volume.detach.end', 'volume.delete.start', 'volume.delete.end'])
    for (const n of volume) {
      const sample = n.eventType.startsWith('volume.detach') || n.eventType.startsWith('volume.attach') ? 'volume.attach.end' : `volume.${n.eventType.split('.')[1]}.end`
      const real = JSON.parse(readFileSync(`${SHARED}/cinder/${sample}.json`, 'utf8')) as {payload: unknown}
      expect(shapeDifferences(real.payload, n.payload), n.eventType).to.deep.equal([])
      expect([n.exchange, routingKey(n)]).to.deep.equal(['openstack', 'notifications.info'])
    }
  })

  it('neutron: network.*.end payloads carry the real Zed API view of the network, on exchange neutron', () => {
    const realNetwork = RECORDED_NEUTRON.calls['neutron-network'].answer.body.network
    const ends = generated.filter((n) => /^network\.(create|update|delete)\.end$/.test(n.eventType))
    expect(ends.map((n) => n.eventType)).to.deep.equal(['network.create.end', 'network.update.end', 'network.delete.end'])
    for (const n of ends) {
      expect(shapeDifferences(realNetwork, (n.payload as {network: unknown}).network), n.eventType).to.deep.equal([])
      expect([n.exchange, routingKey(n)]).to.deep.equal(['neutron', 'notifications.info'])
    }
    const shared = JSON.parse(readFileSync(`${SHARED}/neutron/network.delete.end.json`, 'utf8')) as {payload: unknown}
    expect(shapeDifferences(shared.payload, ends[2].payload, {extraKeys: ['network']})).to.deep.equal([])
  })

  it('wire: oslo 2.0 envelope with a JSON string, oslo timestamp, message ids; v1 is the raw message', () => {
    const n = generated[0]
    const v2 = JSON.parse(encodeBody(wireMessage(n), 'v2').toString('utf8')) as Record<string, unknown>
    const realOuter = JSON.parse(REAL['instance.update'].body) as Record<string, unknown>
    expect(Object.keys(v2).sort()).to.deep.equal(Object.keys(realOuter).sort())
    expect(v2['oslo.version']).to.equal('2.0')
    const msg = JSON.parse(v2['oslo.message'] as string) as Record<string, string>
    expect(msg.timestamp).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/)
    expect(String(inner(REAL['instance.update'].body).timestamp)).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/)
    expect(msg.message_id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const v1 = JSON.parse(encodeBody(wireMessage(n), 'v1').toString('utf8')) as Record<string, unknown>
    expect(v1.event_type).to.equal(n.eventType)
    expect(v1).not.to.have.property('oslo.version')
    const props = REAL['instance.update'].properties
    expect({content_encoding: OSLO_AMQP_PROPERTIES.contentEncoding, content_type: OSLO_AMQP_PROPERTIES.contentType, delivery_mode: OSLO_AMQP_PROPERTIES.deliveryMode, headers: OSLO_AMQP_PROPERTIES.headers, priority: OSLO_AMQP_PROPERTIES.priority}).to.deep.equal(props)
  })

  it('format legacy/versioned selects nova\'s notifications only', () => {
    const server = changes.filter((c) => c.kind === 'server')
    const legacy = server.flatMap((c) => notificationsFor(sim.world, c, {exchanges: DEFAULT_EXCHANGES, format: 'legacy', glanceUrl: ''}))
    const versioned = server.flatMap((c) => notificationsFor(sim.world, c, {exchanges: DEFAULT_EXCHANGES, format: 'versioned', glanceUrl: ''}))
    expect(legacy.length).to.be.greaterThan(0)
    expect(legacy.every((n) => n.topic === 'notifications' && n.eventType.startsWith('compute.instance.'))).to.equal(true)
    expect(versioned.every((n) => n.topic === 'versioned_notifications' && n.eventType.startsWith('instance.'))).to.equal(true)
  })
})

describe('simulated notifications through RabbitMQ', function () {
  this.timeout(30_000)
  before(async function () {
    await requireService(this, 'RabbitMQ', AMQP_URL)
  })

  /** Unique exchanges on the shared broker, and an exclusive queue bound to them all. */
  async function consumer(suffix: string): Promise<{close(): Promise<void>; exchanges: typeof DEFAULT_EXCHANGES; messages: amqp.ConsumeMessage[]}> {
    const exchanges = {cinder: `openstack-${suffix}`, heat: `heat-${suffix}`, keystone: `keystone-${suffix}`, neutron: `neutron-${suffix}`, nova: `nova-${suffix}`}
    const conn = await amqp.connect(AMQP_URL)
    const ch = await conn.createChannel()
    const {queue} = await ch.assertQueue('', {autoDelete: true, exclusive: true})
    const messages: amqp.ConsumeMessage[] = []
    for (const ex of Object.values(exchanges)) {
       
      await ch.assertExchange(ex, 'topic', {autoDelete: false, durable: false})
       
      await ch.bindQueue(queue, ex, '#')
    }
    await ch.consume(queue, (m) => m && messages.push(m), {noAck: true})
    return {
      async close() {
        for (const ex of Object.values(exchanges)) {
           
          await ch.deleteExchange(ex).catch(() => undefined)
        }
        await conn.close()
      },
      exchanges,
      messages,
    }
  }

  async function until(test: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !test(); i++) {
       
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  it('publishes every notification with oslo properties, confirmed, on the right exchange and key', async () => {
    const suffix = randomBytes(4).toString('hex')
    const c = await consumer(suffix)
    const sim = await startSimulator({notifications: {declareDefaultQueues: false, exchanges: c.exchanges}, preset: 'small', rabbitUrl: AMQP_URL, seed: 9})
    try {
      const team = sim.cloud.teams[0]
      const server = sim.world.servers.partition(team.projectId).find((s) => s.vmState === 'active')
      if (server === undefined) throw new Error('no active server')
      sim.changes.stopServer(server.id)
      const stack = sim.changes.createStack({name: 'mq-stack', projectId: team.projectId, servers: 1})
      sim.changes.failStack(stack.id)
      sim.changes.createVolume({name: 'mq-vol', projectId: team.projectId, size: 1})
      await sim.notifications?.flush()
      const stats = sim.notifications?.stats()
      expect(stats?.lastError ?? null).to.equal(null)
      expect(stats?.confirmed).to.be.greaterThan(10)
      expect(stats?.confirmed).to.equal(stats?.published)
      await until(() => c.messages.length >= (stats?.confirmed ?? 0))
      expect(c.messages).to.have.length(stats?.confirmed ?? -1)
      for (const m of c.messages) {
        expect(m.properties.contentType).to.equal('application/json')
        expect(m.properties.contentEncoding).to.equal('utf-8')
        expect(m.properties.deliveryMode).to.equal(2)
        expect(m.properties.priority).to.equal(0)
        const outer = JSON.parse(m.content.toString('utf8')) as Record<string, unknown>
        expect(outer['oslo.version']).to.equal('2.0')
        const msg = JSON.parse(outer['oslo.message'] as string) as {event_type: string; priority: string}
        expect(m.fields.routingKey).to.equal(`${msg.event_type.startsWith('instance.') ? 'versioned_notifications' : 'notifications'}.${msg.priority.toLowerCase()}`)
      }
      const byExchange = (ex: string) => c.messages.filter((m) => m.fields.exchange === ex).map((m) => inner(m.content.toString('utf8')).event_type)
      expect(byExchange(c.exchanges.nova)).to.include.members(['compute.instance.power_off.end', 'instance.power_off.end', 'compute.instance.create.end', 'instance.create.end'])
      expect(byExchange(c.exchanges.heat)).to.include.members(['orchestration.stack.create.end', 'orchestration.stack.create.error'])
      expect(byExchange(c.exchanges.cinder)).to.include.members(['volume.create.start', 'volume.create.end'])
      expect(c.messages.find((m) => inner(m.content.toString('utf8')).event_type === 'orchestration.stack.create.error')?.fields.routingKey).to.equal('notifications.error')
      // Declared as oslo declares them: a non-durable topic exchange accepts the same declaration.
      const conn = await amqp.connect(AMQP_URL)
      const ch = await conn.createChannel()
      await ch.assertExchange(c.exchanges.nova, 'topic', {autoDelete: false, durable: false})
      await conn.close()
    } finally {
      await sim.stop()
      await c.close()
    }
  })

  it('v1 envelope and legacy format: raw messages, no versioned notifications', async () => {
    const c = await consumer(randomBytes(4).toString('hex'))
    const sim = await startSimulator({notifications: {declareDefaultQueues: false, envelope: 'v1', exchanges: c.exchanges, format: 'legacy'}, preset: 'small', rabbitUrl: AMQP_URL, seed: 9})
    try {
      const server = sim.world.servers.all().find((s) => s.vmState === 'active')
      if (server === undefined) throw new Error('no active server')
      sim.changes.rebootServer(server.id)
      await sim.notifications?.flush()
      await until(() => c.messages.length >= (sim.notifications?.stats().confirmed ?? 0))
      const bodies = c.messages.map((m) => JSON.parse(m.content.toString('utf8')) as Record<string, unknown>)
      expect(bodies.length).to.be.greaterThan(0)
      expect(bodies.every((b) => typeof b.event_type === 'string' && !('oslo.version' in b))).to.equal(true)
      expect(c.messages.every((m) => m.fields.routingKey.startsWith('notifications.'))).to.equal(true)
      expect(bodies.map((b) => b.event_type)).to.include('compute.instance.reboot.end')
    } finally {
      await sim.stop()
      await c.close()
    }
  })

  it('never crashes when the broker is unreachable: drops, records the error, stops cleanly', async () => {
    const sim = await startSimulator({preset: 'small', rabbitUrl: 'amqp://guest:guest@127.0.0.1:1', seed: 2})
    const server = sim.world.servers.all().find((s) => s.vmState === 'active')
    if (server === undefined) throw new Error('no active server')
    expect(() => sim.changes.stopServer(server.id)).not.to.throw()
    await sim.notifications?.flush()
    const stats = sim.notifications?.stats()
    expect(stats?.dropped).to.be.greaterThan(0)
    expect(stats?.lastError).to.be.a('string')
    await sim.stop()
  })
})
