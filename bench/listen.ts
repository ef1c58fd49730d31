/**
 * Benchmark of `listen`: `npm run bench -- listen [--servers 2000] [--rate 500] [--seconds 10] [--seed 1]`.
 *
 * The simulator publishes OpenStack's notifications (nova legacy + versioned, oslo 2.0 envelope) to a
 * vhost of its own on the local RabbitMQ; listen (in process, the real engine) reconciles them into
 * the simulated Concertim. Two figures, printed as JSON:
 * - sustained: a backlog (one stop per server in a stack, plus a mix: live migrations, failed
 *   rebuilds, volume detach/attach) published first, then consumed: notifications/s from the start of
 *   consumption until every change shows in Concertim;
 * - latency at --rate notifications/s: the simulator's notifications of each change (a start), published
 *   on one channel of their own (the simulator's publisher waits for a broker confirm per change,
 *   which caps it near 200/s on a quorum queue), a change whenever the notifications published so
 *   far fall short of --rate × the time elapsed: from publication to Concertim showing the change
 *   (polled every 2 ms), p50/p99, with the rate offered (what was published, per second of pacing)
 *   and the rate achieved (notifications settled by listen meanwhile, per second).
 * Both phases also give the process's CPU per notification (user + system; the simulator runs in this
 * process, so its share — Concertim's and Nova's answers — is included) and the peak RSS.
 * `BENCH_CPU_PROFILE=<file.cpuprofile>` writes a V8 CPU profile of the sustained phase (open it in
 * Chrome's DevTools or VS Code). Listen is wired as the command wires it (rack claims from the view
 * store, nested stacks to their top-level stack, the deletion window).
 * `--redis` keeps the view in Redis (BENCH_REDIS_URL, default db 14) instead of the file.
 * With `--pipeline`, the engine is left out (each entity's reconcile resolves at once; Concertim is
 * not written): the figures are then listen's own ceiling — broker, decoding, coalescing, acks — and
 * latency is measured from each change to the ack of its notifications.
 */
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {Session} from 'node:inspector/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import amqp from 'amqplib'

import {amqpTarget} from '../src/lib/amqp/connection.js'
import {declareTopology} from '../src/lib/amqp/topology.js'
import {type Config, loadConfig} from '../src/lib/config/index.js'
import {engineReconciler, heatTopLevelStack} from '../src/lib/listen/engine-adapter.js'
import {viewStoreClaim} from '../src/lib/listen/rack-locks.js'
import {ListenService} from '../src/lib/listen/service.js'
import {MemoryWatermarks} from '../src/lib/listen/watermarks.js'
import {createLogger, silentLogger} from '../src/lib/output/logger.js'
import {topLevelStack} from '../src/lib/reconcile/observe/index.js'
import {createReconcileEngine} from '../src/lib/runtime/reconcile-engine.js'
import {SIM_SYSTEMS, startSimulator} from '../src/sim/index.js'
import {notificationsFor} from '../src/sim/notifications/events.js'
import {encodeBody, OSLO_AMQP_PROPERTIES, osloTimestamp, routingKey, wireMessage} from '../src/sim/notifications/oslo.js'
import type {WorldChange} from '../src/sim/world.js'
import {loadNovaSamples} from '../test/support/nova-samples.js'

const EXCHANGES = ['nova', 'heat', 'cinder', 'openstack', 'neutron', 'keystone']

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback
}

const sleep = async (ms: number) => new Promise((r) => setTimeout(r, ms))

/** CPU time (user + system) of this process since `since`, ms. */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since)
  return (u.user + u.system) / 1000
}

/** A V8 CPU profile of what runs between `start` and `stop` (BENCH_CPU_PROFILE=<file>), else nothing. */
async function cpuProfiler(file: string | undefined): Promise<{stop(): Promise<void>}> {
  if (file === undefined || file === '') return {stop: async () => undefined}
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return {
    async stop() {
      const {profile} = await session.post('Profiler.stop')
      writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
    },
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

const LIVE_MIGRATION = ['live_migration_pre-start', 'live_migration_pre-end', 'live_migration_post-start', 'live_migration_post_dest-start', 'live_migration_post_dest-end', 'live_migration_post-end']

/**
 * Publish nova's own samples (test/fixtures/nova-samples) about these servers: a live migration of
 * each of `migrated`, a failed rebuild of each of `failed`, with the server's id and project, stamped
 * now (newer than the backlog's stops: reconciled, not dropped as stale). Returns how many.
 */
async function publishMix(url: string, migrated: readonly string[], failed: readonly string[], projectOf: (id: string) => string, now: () => number): Promise<number> {
  const samples = new Map(loadNovaSamples().map((s) => [s.file.replace(/^instance-|\.json$/g, ''), s]))
  const conn = await amqp.connect(url)
  const ch = await conn.createConfirmChannel()
  let n = 0
  const send = (serverId: string, name: string) => {
    const sample = samples.get(name)
    if (sample === undefined) throw new Error(`no nova sample ${name}`)
    const payload = structuredClone(sample.payload) as {'nova_object.data': Record<string, unknown>}
    Object.assign(payload['nova_object.data'], {tenant_id: projectOf(serverId), uuid: serverId})
    const priority = sample.message.priority === 'ERROR' ? 'ERROR' : 'INFO'
    const message = {event_type: sample.eventType, message_id: randomBytes(16).toString('hex'), payload, priority, publisher_id: sample.message.publisherId, timestamp: osloTimestamp(now())}
    ch.publish('nova', routingKey({priority, topic: 'versioned_notifications'}), encodeBody(message, 'v2'), {...OSLO_AMQP_PROPERTIES, headers: {}})
    n++
  }
  for (const id of migrated) for (const step of LIVE_MIGRATION) send(id, step)
  for (const id of failed) send(id, 'rebuild-error')
  await ch.waitForConfirms()
  await conn.close()
  return n
}

export async function run(args: string[]): Promise<void> {
  const servers = option(args, 'servers', 2000)
  const rate = option(args, 'rate', 500)
  const seconds = option(args, 'seconds', 10)
  const seed = option(args, 'seed', 1)
  const pipeline = args.includes('--pipeline')
  const vhost = `listen-bench-${randomBytes(4).toString('hex')}`
  execFileSync('rabbitmqctl', ['add_vhost', vhost], {stdio: 'ignore'})
  execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], {stdio: 'ignore'})
  const rabbitUrl = `amqp://guest:guest@127.0.0.1:5672/${vhost}`
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-bench-listen-'))
  const sim = await startSimulator({preset: 'small', rabbitUrl, seed, sizes: {networks: Math.ceil(servers / 10), servers, stacks: Math.ceil(servers / 10), teams: Math.ceil(servers / 100), volumes: Math.ceil(servers / 10)}})
  try {
    const configPath = join(dir, 'config.yaml')
    const storeSection = args.includes('--redis') ? {key_prefix: `${vhost}:`, type: 'redis', url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14'} : {path: join(dir, 'view.json')}
    writeFileSync(configPath, JSON.stringify({...sim.config({logLevel: 'warn'}), lock_dir: dir, store: storeSection}))
    const config: Config = loadConfig({env: {}, path: configPath}).config
    const {engine, openstack, store} = createReconcileEngine(config, {settings: {retries: 2, retryBaseMs: 50}}, undefined, {listen: true, recordInBackground: true})
    const t0 = performance.now()
    const first = await engine.sync()
    const syncMs = performance.now() - t0
    const target = amqpTarget(config.rmq as NonNullable<Config['rmq']>)
    const topology = {deadLetterQueue: 'concertim-os.notifications.dead', deliveryLimit: 20, exchanges: EXCHANGES, queue: 'concertim-os.notifications'}
    const conn = await amqp.connect(target.url)
    const ch = await conn.createChannel()
    for (const e of EXCHANGES) await ch.assertExchange(e, 'topic', {autoDelete: false, durable: false})
    await ch.close()
    await declareTopology(conn, topology)
    await conn.close()

    const instanceOf = new Map<string, string>()
    for (const d of sim.concertim.devices.values()) if (typeof d.metadata.openstack_instance_id === 'string') instanceOf.set(d.metadata.openstack_instance_id, d.id)
    const applied = new Set<string>()
    const concertimStatus = (serverId: string) => sim.concertim.devices.get(instanceOf.get(serverId) ?? '')?.status
    let expecting = 'STOPPED'
    // In pipeline mode, "shown" = every notification of the change was acked.
    const status = (serverId: string) => (pipeline && started ? (applied.has(serverId) ? expecting : undefined) : concertimStatus(serverId))
    let started = false
    const shown = sim.world.servers.all().filter((s) => concertimStatus(s.id) === 'ACTIVE').map((s) => s.id)

    // 1. Sustained: a backlog, then consumption. Besides one stop per server, a realistic mix: every
    // 5th server live-migrated (nova's six versioned events, whose payloads are not used: the server
    // is read), every 7th a failed rebuild (`instance.rebuild.error`: read), and every attached
    // volume detached and attached again (cinder + nova, which also reconcile the server).
    const published0 = sim.notifications?.stats().published ?? 0
    for (const id of shown) sim.changes.stopServer(id)
    for (const v of sim.world.volumes.all()) {
      const serverId = v.attachments[0]?.serverId
      if (serverId === undefined) continue
      sim.changes.detachVolume(v.id, serverId)
      sim.changes.attachVolume(v.id, serverId)
    }
    await sim.notifications?.flush()
    const mixed = await publishMix(target.url, shown.filter((_, i) => i % 5 === 0), shown.filter((_, i) => i % 7 === 0), (id) => sim.world.servers.get(id)?.projectId ?? '', sim.world.now)
    const backlog = (sim.notifications?.stats().published ?? 0) - published0 + mixed
    const listen = new ListenService({
      claim: viewStoreClaim(store),
      concurrency: option(args, 'concurrency', 16),
      connectionName: 'bench',
      deadLetterMalformed: true,
      debounceMs: 50,
      drainTimeoutMs: 5000,
      logger: process.env.BENCH_LOG ? createLogger({format: 'text', level: 'warn'}) : silentLogger,
      maxAttempts: 5,
      prefetch: 500,
      reconcile: pipeline
        ? async (ref) => {
            applied.add(ref.id)
            return {applied: true}
          }
        : engineReconciler(engine, silentLogger, {payloadState: store.kind !== 'redis', topLevelStack: heatTopLevelStack(async (id) => topLevelStack(openstack, id))}),
      retry: {baseMs: 100, maxMs: 2000},
      summaryIntervalMs: 0,
      target,
      topology,
      watermarks: new MemoryWatermarks(),
    })
    const calls0 = sim.stats()
    const profiler = await cpuProfiler(process.env.BENCH_CPU_PROFILE)
    const cpu0 = process.cpuUsage()
    const c0 = performance.now()
    started = true
    await listen.start()
    while (listen.stats.counters.received < backlog || listen.dispatcher.inFlight > 0 || !shown.every((id) => status(id) === 'STOPPED')) {
      if (performance.now() - c0 > 300_000) throw new Error('backlog not consumed within 300 s')
      await sleep(5)
    }
    const consumeMs = performance.now() - c0
    const consumeCpuMs = cpuMsSince(cpu0)
    await profiler.stop()
    const calls1 = sim.stats()
    const callsPerReconcile = Object.fromEntries(
      SIM_SYSTEMS.map((sys) => [sys, +((calls1[sys].requests - calls0[sys].requests) / Math.max(1, listen.stats.counters.reconciles)).toFixed(2)]).filter(([, n]) => n !== 0),
    )
    const sustained = {
      callsPerReconcile,
      changes: shown.length,
      cpuMsPerNotification: +(consumeCpuMs / backlog).toFixed(3),
      notifications: backlog,
      notificationsPerSecond: Math.round(backlog / (consumeMs / 1000)),
      reconciles: listen.stats.counters.reconciles,
      seconds: +(consumeMs / 1000).toFixed(2),
    }

    // 2. Latency at `rate` notifications/s: a change (a start, its notifications published at once)
    // whenever those published so far fall short of rate × elapsed.
    const pending = new Map<string, number>()
    expecting = 'ACTIVE'
    applied.clear()
    const latencies: number[] = []
    const publisher = sim.notifications
    if (publisher === undefined) throw new Error('the simulator has no notification publisher')
    const notificationOptions = publisher.options
    await publisher.stop()
    const pubConn = await amqp.connect(target.url)
    const pch = await pubConn.createChannel()
    let pub1 = 0
    sim.world.events.on('change', (change: WorldChange) => {
      for (const n of notificationsFor(sim.world, change, notificationOptions)) {
        pch.publish(n.exchange, routingKey(n), encodeBody(wireMessage(n), 'v2'), {...OSLO_AMQP_PROPERTIES, headers: {}})
        pub1++
      }
    })
    const settled = () => listen.stats.counters.received - listen.dispatcher.inFlight
    const settled0 = settled()
    const lcpu0 = process.cpuUsage()
    const start = performance.now()
    let next = 0
    const poll = setInterval(() => {
      const now = performance.now()
      for (const [id, at] of pending) {
        if (status(id) === 'ACTIVE') {
          latencies.push(now - at)
          pending.delete(id)
        }
      }
    }, 2)
    while (performance.now() - start < seconds * 1000 && next < shown.length) {
      const due = ((performance.now() - start) / 1000) * rate
      while (pub1 < due && next < shown.length) {
        const id = shown[next++]
        pending.set(id, performance.now())
        sim.changes.startServer(id)
      }
      await sleep(1)
    }
    const paced = performance.now() - start
    const settledWhilePaced = settled() - settled0
    const deadline = performance.now() + 30_000
    while (pending.size > 0 && performance.now() < deadline) await sleep(5)
    clearInterval(poll)
    const latencyCpuMs = cpuMsSince(lcpu0)
    latencies.sort((a, b) => a - b)
    const latency = {
      achievedPerSecond: Math.round(settledWhilePaced / (paced / 1000)),
      changes: latencies.length,
      cpuMsPerNotification: +(latencyCpuMs / Math.max(1, pub1)).toFixed(3),
      offeredPerSecond: Math.round(pub1 / (paced / 1000)),
      p50Ms: +percentile(latencies, 0.5).toFixed(1),
      p99Ms: +percentile(latencies, 0.99).toFixed(1),
      ranOutOfChanges: next >= shown.length,
      requestedPerSecond: rate,
      unapplied: pending.size,
    }

    const stopped = await listen.stop()
    await pubConn.close()
    await store.close()
    console.log(
      JSON.stringify(
        {
          listen: {
            cloud: {servers: sim.world.servers.size, shownServers: shown.length},
            mode: pipeline ? 'pipeline (no engine: listen alone)' : 'end to end (real engine, Concertim writes)',
            store: storeSection.type ?? 'file',
            firstSync: {actions: first.actions.length, seconds: +(syncMs / 1000).toFixed(2)},
            latency,
            peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
            summary: stopped.summary,
            sustained,
            targets: {latencyP99MsAt500: 250, sustainedPerSecond: 2000},
          },
        },
        null,
        2,
      ),
    )
  } finally {
    await sim.stop()
    rmSync(dir, {force: true, recursive: true})
    execFileSync('rabbitmqctl', ['delete_vhost', vhost], {stdio: 'ignore'})
  }
}
