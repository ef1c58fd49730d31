/**
 * listen end to end: the simulator publishes the notifications real OpenStack would (both nova
 * formats, oslo 2.0 envelope) to a vhost of the real RabbitMQ; listen reconciles each entity through
 * the real engine into the simulated Concertim.
 */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import amqp from 'amqplib'

import {amqpTarget} from '../../../src/lib/amqp/connection.js'
import {type Config, loadConfig} from '../../../src/lib/config/index.js'
import {CallLedger} from '../../../src/lib/http/index.js'
import {engineReconciler} from '../../../src/lib/listen/engine-adapter.js'
import {MemoryWatermarks, SharedWatermarks} from '../../../src/lib/listen/watermarks.js'
import type {ListenService} from '../../../src/lib/listen/service.js'
import {silentLogger} from '../../../src/lib/output/logger.js'
import {createReconcileEngine} from '../../../src/lib/runtime/reconcile-engine.js'
import type {ViewStore} from '../../../src/lib/store/index.js'
import {type Simulator, startSimulator} from '../../../src/sim/index.js'
import {startCli} from '../../support/long-running-cli.js'
import {AMQP_URL, REDIS_URL, requireService} from '../../support/services.js'
import {devicesByInstance, expectedMembers, racksByStack} from '../sync/support.js'
import {createVhost, Publisher, queueDepth, type TestVhost, until} from './broker.js'
import {ALL_EXCHANGES, QUEUE, testService} from './support.js'

interface World {
  config: Config
  configPath: string
  dir: string
  ledger: CallLedger
  listen: ListenService
  sim: Simulator
  store: ViewStore
  vhost: TestVhost
  /** Bodies the simulator published on nova, captured from a queue of the test's own. */
  captured(): Promise<{body: Buffer; routingKey: string}[]>
  stop(): Promise<void>
}

async function startWorld(opts: {listen?: boolean; store?: Record<string, unknown>} = {}): Promise<World> {
  const vhost = await createVhost('listen-e2e')
  const sim = await startSimulator({preset: 'small', rabbitUrl: vhost.url, seed: 7})
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-listen-'))
  const configPath = join(dir, 'config.yaml')
  writeFileSync(configPath, JSON.stringify({...sim.config({logLevel: 'warn'}), http: {retries: 0, retry_base_ms: 10}, listen: {debounce_ms: 20, drain_timeout_ms: 3000, retry_base_ms: 50, retry_max_ms: 300}, lock_dir: dir, store: opts.store ?? {path: join(dir, 'view.json')}}))
  const config = loadConfig({env: {}, path: configPath}).config
  // Concertim starts in step with the cloud (what a first sync does).
  const ledger = new CallLedger()
  const {engine, store} = createReconcileEngine(config, {ledger, settings: {retries: 0, retryBaseMs: 10}}, undefined, {recordInBackground: true})
  const first = await engine.sync()
  expect(first.results.filter((r) => !r.ok)).to.deep.equal([])
  // The exchanges exist once the simulator has published on each; make sure they do.
  const conn = await amqp.connect(vhost.url)
  const ch = await conn.createChannel()
  for (const e of ALL_EXCHANGES) await ch.assertExchange(e, 'topic', {autoDelete: false, durable: false})
  await ch.assertQueue('capture', {durable: false})
  await ch.bindQueue('capture', 'nova', '#')
  await ch.close()
  await conn.close()
  const listen = testService(vhost, engineReconciler(engine, silentLogger, {payloadState: store.kind !== 'redis'}), {
    debounceMs: 20,
    target: amqpTarget(config.rmq as NonNullable<Config['rmq']>),
    watermarks: store.kind === 'redis' ? new SharedWatermarks(store) : new MemoryWatermarks(),
  })
  if (opts.listen !== false) await listen.start()
  return {
    async captured() {
      const c = await amqp.connect(vhost.url)
      const out: {body: Buffer; routingKey: string}[] = []
      const cch = await c.createChannel()
      for (;;) {
        const m = await cch.get('capture', {noAck: true})
        if (m === false) break
        out.push({body: m.content, routingKey: m.fields.routingKey})
      }
      await c.close()
      return out
    },
    config,
    configPath,
    dir,
    ledger,
    listen,
    sim,
    async stop() {
      await listen.stop()
      await store.close()
      await sim.stop()
      await vhost.drop()
      rmSync(dir, {force: true, recursive: true})
    },
    store,
    vhost,
  }
}

const statusOf = (w: World, cloudId: string) => w.sim.concertim.devices.get(devicesByInstance(w.sim).get(cloudId)?.[0] ?? '')?.status

/** Make a change, then wait (at most 1 s, the bound) until Concertim shows it. */
async function within1s(w: World, change: () => void, shows: () => boolean, what: string): Promise<void> {
  change()
  await w.sim.notifications?.flush()
  await until(shows, 1000, what)
}

describe('listen end to end (simulator → RabbitMQ → listen → engine → Concertim)', function () {
  this.timeout(120_000)

  before(async function () {
    await requireService(this, 'RabbitMQ', AMQP_URL)
  })

  describe('every family changes Concertim within 1 s', () => {
    let w: World
    let serverId: string
    let stackId: string

    before(async () => {
      w = await startWorld()
      const [id, m] = [...expectedMembers(w.sim).entries()].find(([, x]) => x.servers.length > 0) ?? []
      stackId = id ?? ''
      serverId = m?.servers[0] ?? ''
      expect(statusOf(w, serverId)).to.equal('ACTIVE')
    })

    after(async () => {
      await w?.stop()
    })

    it('nova: power off/on, suspend/resume, shelve/unshelve, error, delete', async () => {
      await within1s(w, () => w.sim.changes.stopServer(serverId), () => statusOf(w, serverId) === 'STOPPED', 'STOPPED')
      await within1s(w, () => w.sim.changes.startServer(serverId), () => statusOf(w, serverId) === 'ACTIVE', 'ACTIVE')
      await within1s(w, () => w.sim.changes.suspendServer(serverId), () => statusOf(w, serverId) === 'SUSPENDED', 'SUSPENDED')
      await within1s(w, () => w.sim.changes.resumeServer(serverId), () => statusOf(w, serverId) === 'ACTIVE', 'ACTIVE again')
      await within1s(w, () => w.sim.changes.shelveServer(serverId), () => statusOf(w, serverId) !== 'ACTIVE', 'shelved')
      await within1s(w, () => w.sim.changes.unshelveServer(serverId), () => statusOf(w, serverId) === 'ACTIVE', 'unshelved')
      await within1s(w, () => w.sim.changes.errorServer(serverId), () => statusOf(w, serverId) === 'FAILED', 'FAILED')
      await within1s(w, () => w.sim.changes.deleteServer(serverId), () => !devicesByInstance(w.sim).has(serverId), 'the device deleted')
    })

    it('heat: stack create, update, failed, delete', async () => {
      const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
      let created = ''
      await within1s(
        w,
        () => {
          created = w.sim.changes.createStack({name: 'listen-stack', network: true, projectId: project, servers: 2, volumes: 1}).id
        },
        () => racksByStack(w.sim).has(created) && (expectedMembers(w.sim).get(created)?.servers ?? []).every((s) => devicesByInstance(w.sim).has(s)),
        'the rack and its devices',
      )
      await within1s(w, () => w.sim.changes.updateStack(created, {addServers: 1}), () => (expectedMembers(w.sim).get(created)?.servers ?? []).every((s) => devicesByInstance(w.sim).has(s)), 'the added server')
      const rackStatus = () => w.sim.concertim.racks.get(racksByStack(w.sim).get(created)?.[0] ?? '')?.status
      await within1s(w, () => w.sim.changes.failStack(created), () => rackStatus() === 'FAILED', 'the rack FAILED')
      await within1s(w, () => w.sim.changes.deleteStack(created), () => !racksByStack(w.sim).has(created), 'the rack deleted')
    })

    it('cinder and neutron: a stack volume detached, attached, deleted; its network deleted', async () => {
      const project = w.sim.world.stacks.get(stackId)?.projectId ?? ''
      const st = w.sim.changes.createStack({name: 'storage', network: true, projectId: project, servers: 1, volumes: 1})
      await w.sim.notifications?.flush()
      const m = expectedMembers(w.sim).get(st.id)
      const vol = m?.volumes[0] ?? ''
      const net = m?.networks[0] ?? ''
      const srv = m?.servers[0] ?? ''
      await until(() => devicesByInstance(w.sim).has(vol) && devicesByInstance(w.sim).has(net), 2000, 'the new devices')
      await within1s(w, () => w.sim.changes.detachVolume(vol, srv), () => statusOf(w, vol) === 'AVAILABLE', 'the volume AVAILABLE')
      await within1s(w, () => w.sim.changes.attachVolume(vol, srv), () => statusOf(w, vol) === 'IN_USE' || statusOf(w, vol) === 'ACTIVE', 'the volume attached')
      await within1s(w, () => w.sim.changes.deleteVolume(vol), () => !devicesByInstance(w.sim).has(vol), 'the volume device deleted')
      await within1s(w, () => w.sim.changes.deleteNetwork(net), () => !devicesByInstance(w.sim).has(net), 'the network device deleted')
    })

    it('keystone: a user and a project deleted are noted in the view (and the project reconciled)', async () => {
      const conn = await amqp.connect(w.vhost.url)
      const ch = await conn.createChannel()
      const stamp = new Date().toISOString().replace('T', ' ').replace('Z', '000')
      const send = (eventType: string, id: string) =>
        ch.publish('keystone', 'notifications.info', Buffer.from(JSON.stringify({'oslo.message': JSON.stringify({_context_user_id: 'admin', event_type: eventType, message_id: randomUUID(), payload: {resource_info: id}, priority: 'INFO', publisher_id: 'identity.controller', timestamp: stamp}), 'oslo.version': '2.0'})))
      const userId = randomUUID().replaceAll('-', '')
      const projectId = randomUUID().replaceAll('-', '')
      send('identity.user.deleted', userId)
      send('identity.project.deleted', projectId)
      await ch.close()
      await conn.close()
      const noted = async () => (await w.store.get([`keystone:user:${userId}`, `keystone:project:${projectId}`])).size === 2
      const started = Date.now()
      while (!(await noted())) {
        if (Date.now() - started > 1000) expect.fail('the deletions were not noted within 1 s')
        await new Promise((r) => setTimeout(r, 20))
      }
      expect((await w.store.get([`keystone:user:${userId}`])).get(`keystone:user:${userId}`)).to.include({event: 'identity.user.deleted', id: userId, kind: 'user'})
    })

    it('the same notification delivered twice writes once; an older event after a newer one changes nothing', async () => {
      const id = [...expectedMembers(w.sim).values()].flatMap((x) => x.servers).find((s) => statusOf(w, s) === 'ACTIVE') ?? ''
      await w.captured()
      await within1s(w, () => w.sim.changes.stopServer(id), () => statusOf(w, id) === 'STOPPED', 'STOPPED')
      const stopNotes = await w.captured()
      expect(stopNotes.length).to.be.greaterThan(0)
      await w.listen.dispatcher.whenIdle()
      const writes0 = w.ledger.writes()
      const pub = await Publisher.open(w.vhost.url)
      try {
        for (const n of stopNotes) await pub.publish('nova', n.routingKey, n.body)
        await until(() => w.listen.stats.counters.duplicate >= stopNotes.length, 2000, 'the duplicates')
        expect(w.ledger.writes() - writes0, 'duplicates write nothing').to.equal(0)
        await within1s(w, () => w.sim.changes.startServer(id), () => statusOf(w, id) === 'ACTIVE', 'ACTIVE')
        await w.listen.dispatcher.whenIdle()
        // The stop events again, with new message ids: older than what was applied.
        const stale0 = w.listen.stats.counters.stale
        for (const n of stopNotes) {
          const outer = JSON.parse(n.body.toString()) as {'oslo.message': string}
          const inner = JSON.parse(outer['oslo.message']) as Record<string, unknown>
          inner.message_id = `replayed-${String(inner.message_id)}`
          await pub.publish('nova', n.routingKey, JSON.stringify({'oslo.message': JSON.stringify(inner), 'oslo.version': '2.0'}))
        }
        await until(() => w.listen.stats.counters.stale - stale0 >= stopNotes.length, 2000, 'the stale events')
        expect(statusOf(w, id)).to.equal('ACTIVE')
      } finally {
        await pub.close()
      }
    })

    it('Concertim returning 503 for a while: nothing lost, all applied after it recovers', async () => {
      const ids = [...expectedMembers(w.sim).values()].flatMap((x) => x.servers).filter((s) => statusOf(w, s) === 'ACTIVE').slice(0, 5)
      expect(ids.length).to.be.greaterThan(1)
      w.sim.faults.set('concertim', {errorRate: 1, errorStatuses: [503]})
      try {
        for (const id of ids) w.sim.changes.stopServer(id)
        await w.sim.notifications?.flush()
        await new Promise((r) => setTimeout(r, 800))
        expect(ids.map((id) => statusOf(w, id))).to.not.include('STOPPED')
        expect(w.listen.dispatcher.inFlight).to.be.greaterThan(0)
      } finally {
        w.sim.faults.clear('concertim')
      }
      await until(() => ids.every((id) => statusOf(w, id) === 'STOPPED'), 5000, 'every change applied after recovery')
      expect(w.listen.stats.counters.deadLettered).to.equal(0)
    })
  })

  it('SIGTERM during a burst: the CLI exits 0 within 10 s, and no message is lost (unacked ones come back)', async () => {
    const w = await startWorld({listen: false})
    try {
      const cli = startCli(['listen', '--config', w.configPath, '--log-format', 'json', '--log-level', 'info', '--health-port', '0'])
      await until(() => cli.stderr().includes('"msg":"listening"'), 30_000, 'the CLI to listen')
      const servers = [...w.sim.world.servers.all()].filter((s) => statusOf(w, s.id) === 'ACTIVE').slice(0, 40)
      expect(servers.length).to.be.greaterThan(10)
      for (const s of servers) w.sim.changes.stopServer(s.id)
      await w.sim.notifications?.flush()
      await until(() => /"msg":"reconciled"|STOPPED/.test(cli.stderr()) || servers.some((s) => statusOf(w, s.id) === 'STOPPED'), 10_000, 'the burst under way')
      const t0 = Date.now()
      const r = await cli.stop('SIGTERM')
      expect(r.code, r.stderr.slice(-2000)).to.equal(0)
      expect(Date.now() - t0).to.be.lessThan(10_000)
      expect(r.stderr).to.match(/"msg":"stopped"/)
      // What it did not apply is still queued: a second listener finishes the job.
      await w.listen.start()
      await until(() => servers.every((s) => statusOf(w, s.id) === 'STOPPED'), 10_000, 'every server STOPPED')
    } finally {
      await w.stop()
    }
  })

  it('sync running at the same time as listen: no duplicate, no lost update', async () => {
    const w = await startWorld()
    try {
      const project = w.sim.world.stacks.all().find((s) => s.parentId === null)?.projectId ?? ''
      const {engine, store} = createReconcileEngine(w.config, {settings: {retries: 0, retryBaseMs: 10}})
      try {
        const created: string[] = []
        const syncs: Promise<unknown>[] = []
        for (let i = 0; i < 5; i++) {
          created.push(w.sim.changes.createStack({name: `both-${i}`, network: true, projectId: project, servers: 2, volumes: 1}).id)
          syncs.push(engine.sync())
        }
        const stopped = [...expectedMembers(w.sim).values()].flatMap((m) => m.servers).filter((id) => statusOf(w, id) === 'ACTIVE').slice(0, 5)
        for (const id of stopped) w.sim.changes.stopServer(id)
        syncs.push(engine.sync())
        await w.sim.notifications?.flush()
        await Promise.allSettled(syncs)
        const members = expectedMembers(w.sim)
        await until(
          () => created.every((id) => racksByStack(w.sim).has(id) && [...(members.get(id)?.servers ?? []), ...(members.get(id)?.volumes ?? []), ...(members.get(id)?.networks ?? [])].every((x) => devicesByInstance(w.sim).has(x))) && stopped.every((id) => statusOf(w, id) === 'STOPPED'),
          10_000,
          'every change shown',
        )
        await w.listen.dispatcher.whenIdle()
        for (const [id, devices] of devicesByInstance(w.sim)) expect(devices, `devices of ${id}`).to.have.length(1)
        for (const [id, racks] of racksByStack(w.sim)) expect(racks, `racks of ${id}`).to.have.length(1)
        const after = await engine.sync()
        expect(after.actions.filter((a) => a.blocked === undefined), 'a final sync has nothing left to do').to.deep.equal([])
      } finally {
        await store.close()
      }
    } finally {
      await w.stop()
    }
  })

  it('two listen processes with the redis store share one queue: every change applied once, no duplicate', async function () {
    await requireService(this, 'Redis', REDIS_URL)
    const prefix = `listen-e2e-${Math.random().toString(36).slice(2)}:`
    const w = await startWorld({store: {key_prefix: prefix, type: 'redis', url: REDIS_URL}})
    const {engine, store} = createReconcileEngine(w.config, {settings: {retries: 0, retryBaseMs: 10}})
    const second = testService(w.vhost, engineReconciler(engine, silentLogger), {debounceMs: 20, target: amqpTarget(w.config.rmq as NonNullable<Config['rmq']>), watermarks: new SharedWatermarks(store)})
    await second.start()
    try {
      const project = w.sim.world.stacks.all().find((s) => s.parentId === null)?.projectId ?? ''
      const created: string[] = []
      for (let i = 0; i < 4; i++) created.push(w.sim.changes.createStack({name: `pair-${i}`, network: true, projectId: project, servers: 3, volumes: 1}).id)
      const servers = [...expectedMembers(w.sim).values()].flatMap((m) => m.servers).filter((id) => statusOf(w, id) === 'ACTIVE').slice(0, 10)
      for (const id of servers) w.sim.changes.stopServer(id)
      await w.sim.notifications?.flush()
      const members = expectedMembers(w.sim)
      await until(
        () => created.every((id) => racksByStack(w.sim).has(id) && (members.get(id)?.servers ?? []).every((x) => devicesByInstance(w.sim).has(x))) && servers.every((id) => statusOf(w, id) === 'STOPPED'),
        10_000,
        'every change shown',
      )
      await Promise.all([w.listen.dispatcher.whenIdle(), second.dispatcher.whenIdle()])
      expect(w.listen.stats.counters.received, 'the first got some').to.be.greaterThan(0)
      expect(second.stats.counters.received, 'the second got some').to.be.greaterThan(0)
      for (const [id, devices] of devicesByInstance(w.sim)) expect(devices, `devices of ${id}`).to.have.length(1)
      for (const [id, racks] of racksByStack(w.sim)) expect(racks, `racks of ${id}`).to.have.length(1)
      expect(await queueDepth(w.vhost.url, QUEUE)).to.equal(0)
    } finally {
      await second.stop()
      await store.close()
      await w.stop()
    }
  })
})
