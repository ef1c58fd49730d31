/**
 * Benchmark of `listen`: `npm run bench -- listen [--servers 2000] [--rate 500] [--seconds 10] [--seed 1]
 * [--concurrency 16] [--prefetch 500] [--redis] [--in-process | --pipeline] [--dev] [--node-args '--cpu-prof --cpu-prof-dir /tmp/prof']`.
 *
 * The simulator publishes OpenStack's notifications (nova legacy + versioned, oslo 2.0 envelope) to a
 * vhost of its own on the local RabbitMQ; listen reconciles them into the simulated Concertim.
 * By default listen runs as in production, apart from what it talks to: the CLI as it ships
 * (`node bin/run.js listen --config …`, dist/ rebuilt first; `--dev` runs the sources through tsx) in
 * a child process, so that its CPU and memory are its own and not the simulator's; its /healthz
 * (on a free port) says what it has received and what is in flight. `--node-args` are node options
 * of that process (`--cpu-prof --cpu-prof-dir <dir>` writes its CPU profile at exit).
 * `--in-process` runs listen in this process instead (the real engine, wired as the command wires
 * it): the figures then include the simulator's CPU (Concertim's and Nova's answers).
 *
 * Two figures, printed as JSON:
 * - sustained: a backlog (one stop per server in a stack, plus a mix: live migrations, failed
 *   rebuilds, volume detach/attach) published first, then consumed: notifications/s from the start of
 *   consumption until every change shows in Concertim and every notification is settled;
 * - latency at --rate notifications/s: the simulator's notifications of each change (a start), published
 *   on one channel of their own (the simulator's publisher waits for a broker confirm per change,
 *   which caps it near 200/s on a quorum queue), a change whenever the notifications published so
 *   far fall short of --rate × the time elapsed: from publication to Concertim showing the change
 *   (polled every 2 ms), p50/p99, with the rate offered (what was published, per second of pacing)
 *   and the rate achieved (notifications settled by listen meanwhile, per second).
 * Both phases give listen's CPU per notification (user + system: of the child from /proc/<pid>/stat,
 * to 10 ms; in process, of this whole process), `listenCpuShare` (its CPU over the wall time: near 1
 * means listen is saturated on its one thread), `benchCpuShare` (this process: the simulator and the
 * publisher; near 1 means the figures measure the load generator, not listen) and the load average
 * (1 min) before and after. `peakRssMb` is listen's process's.
 * In process, `BENCH_CPU_PROFILE=<file.cpuprofile>` writes a V8 CPU profile of the sustained phase.
 * Listen is wired as the command wires it (rack claims from the view store, nested stacks to their
 * top-level stack, the deletion window); no full reconcile after a gap (the start is one), so that
 * the backlog is consumed notification by notification.
 * `--redis` keeps the view in Redis (BENCH_REDIS_URL, default db 14) instead of the file.
 * With `--pipeline` (in process), the engine is left out (each entity's reconcile resolves at once;
 * Concertim is not written): the figures are then listen's own ceiling — broker, decoding,
 * coalescing, acks — and latency is measured from each change to the ack of its notifications.
 */
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {Session} from 'node:inspector/promises'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import amqp from 'amqplib'

import {amqpTarget} from '../src/lib/amqp/connection.js'
import {declareTopology, type ListenTopology} from '../src/lib/amqp/topology.js'
import {cpuMsOf, freePort, peakRssMbOf} from './child-usage.js'
import {type Config, loadConfig} from '../src/lib/config/index.js'
import type {ListenSection} from '../src/lib/config/schema.js'
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

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback
}

function stringOption(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
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

/** The topology the command declares from the configuration's listen section. */
function topologyOf(l: ListenSection): ListenTopology {
  return {
    deadLetterMaxLength: l.dead_letter_max_length,
    deadLetterQueue: l.dead_letter_queue,
    deliveryLimit: l.delivery_limit,
    exchanges: l.exchanges,
    maxLength: l.max_length,
    overflow: l.overflow,
    queue: l.queue,
  }
}

/** What the phases need of listen, wherever it runs. */
interface Listener {
  /** CPU time (user + system) so far of the process listen runs in, ms. */
  cpuMs(): number
  readonly description: string
  /** Peak RSS of the process listen runs in, MiB. */
  peakRssMb(): number | undefined
  /** Notifications received so far, and those received but not settled (acked or dead-lettered). */
  progress(): Promise<{inFlight: number; received: number}>
  /** Reconcile calls so far, where known. */
  reconciles(): number | undefined
  /** Resolves once it consumes. */
  start(): Promise<void>
  /** Its summary (the counters of its `stopped` line). */
  stop(): Promise<Record<string, unknown>>
}

/** Listen as the command runs it, in this process. */
function inProcessListener(service: ListenService, description: string): Listener {
  return {
    cpuMs: () => cpuMsSince({system: 0, user: 0}),
    description,
    peakRssMb: () => Math.round(process.resourceUsage().maxRSS / 1024),
    progress: async () => ({inFlight: service.dispatcher.inFlight, received: service.stats.counters.received}),
    reconciles: () => service.stats.counters.reconciles,
    start: async () => service.start(),
    stop: async () => (await service.stop()).summary,
  }
}

/** Listen as it ships, `node bin/run.js listen --config <file>`, in a child process; its /healthz reports. */
function childListener(opts: {configPath: string; dev: boolean; healthPort: number; nodeArgs: string[]; verbose: boolean}): Listener & {kill(): Promise<void>} {
  let child: ChildProcess | undefined
  let output = ''
  let exited: Promise<unknown> = Promise.resolve()
  let last: Record<string, unknown> = {}
  let peak: number | undefined
  const health = async (): Promise<{body: Record<string, unknown>; status: number}> => {
    const r = await fetch(`http://127.0.0.1:${opts.healthPort}/healthz`)
    last = (await r.json()) as Record<string, unknown>
    return {body: last, status: r.status}
  }
  const entry = opts.dev ? ['--import', 'tsx', 'bin/dev.js'] : ['bin/run.js']
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000)
    if (opts.verbose) process.stderr.write(d)
  }
  return {
    cpuMs: () => cpuMsOf(child?.pid) ?? Number.NaN,
    description: `child process (${opts.dev ? 'bin/dev.js, the sources through tsx' : 'bin/run.js, the compiled CLI'}), end to end (real engine, Concertim writes)`,
    async kill() {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    },
    peakRssMb: () => (peak = peakRssMbOf(child?.pid) ?? peak),
    async progress() {
      const {body} = await health()
      return {inFlight: Number(body.inFlight), received: Number(body.received)}
    },
    reconciles: () => undefined,
    async start() {
      const c = spawn(process.execPath, [...opts.nodeArgs, ...entry, 'listen', '--config', opts.configPath, '--log-level', opts.verbose ? 'info' : 'warn'], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
      child = c
      exited = new Promise((resolve) => c.once('exit', resolve))
      c.stdout?.on('data', keep)
      c.stderr?.on('data', keep)
      const deadline = performance.now() + 60_000
      for (;;) {
        if (c.exitCode !== null) throw new Error(`listen exited (${c.exitCode}) before consuming:\n${output}`)
        if (performance.now() > deadline) throw new Error(`listen did not consume within 60 s:\n${output}`)
        const up = await health().catch(() => undefined)
        if (up?.status === 200) return
        await sleep(5)
      }
    },
    async stop() {
      await health().catch(() => undefined)
      this.peakRssMb()
      const summary = Object.fromEntries(['applied', 'dead_lettered', 'failed', 'malformed', 'received', 'resyncs', 'skipped', 'p50_ms', 'p99_ms'].filter((k) => k in last).map((k) => [k, last[k]]))
      child?.kill('SIGTERM')
      await exited
      if (child?.exitCode !== 0) console.error(`warning: listen exited with ${child?.exitCode ?? child?.signalCode}:\n${output}`)
      return summary
    },
  }
}

/** CPU time over wall time, to 2 decimals. */
const share = (cpuMs: number, wallMs: number) => Math.round((cpuMs / wallMs) * 100) / 100
const load1 = () => Math.round(loadavg()[0] * 100) / 100

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
  const inProcess = pipeline || args.includes('--in-process')
  const dev = args.includes('--dev')
  if (!inProcess && !dev) {
    // The CLI as it ships: dist/ rebuilt from the sources of this tree.
    try {
      execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], {cwd: ROOT, encoding: 'utf8'})
    } catch (error) {
      console.error(`warning: tsc reported errors (dist/ was still emitted):\n${String((error as {stdout?: string}).stdout).slice(0, 2000)}`)
    }
  }
  const vhost = `listen-bench-${randomBytes(4).toString('hex')}`
  execFileSync('rabbitmqctl', ['add_vhost', vhost], {stdio: 'ignore'})
  execFileSync('rabbitmqctl', ['set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], {stdio: 'ignore'})
  const rabbitUrl = `amqp://guest:guest@127.0.0.1:5672/${vhost}`
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-bench-listen-'))
  const sim = await startSimulator({preset: 'small', rabbitUrl, seed, sizes: {networks: Math.ceil(servers / 10), servers, stacks: Math.ceil(servers / 10), teams: Math.ceil(servers / 100), volumes: Math.ceil(servers / 10)}})
  let child: ReturnType<typeof childListener> | undefined
  try {
    const configPath = join(dir, 'config.yaml')
    const storeSection = args.includes('--redis') ? {key_prefix: `${vhost}:`, type: 'redis', url: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14'} : {path: join(dir, 'view.json')}
    const healthPort = await freePort()
    // The same listen settings in process and in the child; no full reconcile after a gap (the start is one).
    const listenSection = {concurrency: option(args, 'concurrency', 16), consumer_check_s: 0, debounce_ms: 50, drain_timeout_ms: 5000, health_port: healthPort, max_attempts: 5, prefetch: option(args, 'prefetch', 500), resync_after_gap: false, retry_base_ms: 100, retry_max_ms: 2000, summary_interval: 0}
    writeFileSync(configPath, JSON.stringify({...sim.config({logLevel: 'warn'}), http: {retries: 2, retry_base_ms: 50}, listen: listenSection, lock_dir: dir, store: storeSection}))
    const config: Config = loadConfig({env: {}, path: configPath}).config
    const {engine, openstack, store} = createReconcileEngine(config, {settings: {retries: 2, retryBaseMs: 50}}, undefined, {listen: true, recordInBackground: true})
    const t0 = performance.now()
    const first = await engine.sync()
    const syncMs = performance.now() - t0
    // The child opens the view itself.
    if (!inProcess) await store.close()
    const target = amqpTarget(config.rmq as NonNullable<Config['rmq']>)
    const l = config.listen
    const topology = topologyOf(l)
    const conn = await amqp.connect(target.url)
    const ch = await conn.createChannel()
    for (const e of l.exchanges) await ch.assertExchange(e, 'topic', {autoDelete: false, durable: false})
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
    let listener: Listener
    if (inProcess) {
      const service = new ListenService({
        claim: viewStoreClaim(store),
        concurrency: l.concurrency,
        connectionName: 'bench',
        deadLetterMalformed: l.dead_letter_malformed,
        debounceMs: l.debounce_ms,
        drainTimeoutMs: l.drain_timeout_ms,
        logger: process.env.BENCH_LOG ? createLogger({format: 'text', level: 'warn'}) : silentLogger,
        maxAttempts: l.max_attempts,
        prefetch: l.prefetch,
        reconcile: pipeline
          ? async (ref) => {
              applied.add(ref.id)
              return {applied: true}
            }
          : engineReconciler(engine, silentLogger, {payloadState: store.kind !== 'redis', topLevelStack: heatTopLevelStack(async (id) => topLevelStack(openstack, id))}),
        retry: {baseMs: l.retry_base_ms, maxMs: l.retry_max_ms},
        summaryIntervalMs: 0,
        target,
        topology,
        watermarks: new MemoryWatermarks(),
      })
      listener = inProcessListener(service, pipeline ? 'in process, pipeline (no engine: listen alone)' : 'in process, end to end (real engine, Concertim writes; the simulator\'s CPU included)')
    } else {
      const nodeArgs = stringOption(args, 'node-args', '').split(' ').filter(Boolean)
      child = childListener({configPath, dev, healthPort, nodeArgs, verbose: Boolean(process.env.BENCH_LOG)})
      listener = child
    }
    const settled = async () => {
      const p = await listener.progress()
      return p.received - p.inFlight
    }

    const calls0 = sim.stats()
    const profiler = await cpuProfiler(inProcess ? process.env.BENCH_CPU_PROFILE : undefined)
    const sustainedLoad0 = load1()
    await listener.start()
    started = true
    const cpu0 = listener.cpuMs()
    const bench0 = process.cpuUsage()
    const c0 = performance.now()
    // Listen is asked (its /healthz, in the child) only once nothing is ready in its queue (the broker says).
    const checks = await amqp.connect(target.url)
    const checkChannel = await checks.createChannel()
    const ready = async () => (await checkChannel.checkQueue(topology.queue)).messageCount
    for (;;) {
      if (shown.every((id) => status(id) === 'STOPPED') && (await ready()) === 0) {
        const p = await listener.progress()
        if (p.received >= backlog && p.inFlight === 0) break
      }
      if (performance.now() - c0 > 300_000) throw new Error('backlog not consumed within 300 s')
      await sleep(5)
    }
    const consumeMs = performance.now() - c0
    const consumeCpuMs = listener.cpuMs() - cpu0
    const consumeBenchCpuMs = cpuMsSince(bench0)
    await checks.close()
    await profiler.stop()
    const calls1 = sim.stats()
    const reconciles = listener.reconciles()
    const callsPer = (n: number | undefined) =>
      n === undefined ? undefined : Object.fromEntries(SIM_SYSTEMS.map((sys) => [sys, +((calls1[sys].requests - calls0[sys].requests) / Math.max(1, n)).toFixed(2)]).filter(([, k]) => k !== 0))
    const sustained = {
      benchCpuShare: inProcess ? undefined : share(consumeBenchCpuMs, consumeMs),
      callsPerNotification: callsPer(backlog),
      callsPerReconcile: callsPer(reconciles),
      changes: shown.length,
      cpuMsPerNotification: +(consumeCpuMs / backlog).toFixed(3),
      listenCpuShare: share(consumeCpuMs, consumeMs),
      loadavg1m: [sustainedLoad0, load1()],
      notifications: backlog,
      notificationsPerSecond: Math.round(backlog / (consumeMs / 1000)),
      reconciles,
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
    const settled0 = await settled()
    const latencyLoad0 = load1()
    const lcpu0 = listener.cpuMs()
    const lbench0 = process.cpuUsage()
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
    const settledWhilePaced = (await settled()) - settled0
    const deadline = performance.now() + 30_000
    while (pending.size > 0 && performance.now() < deadline) await sleep(5)
    clearInterval(poll)
    const latencyMs = performance.now() - start
    const latencyCpuMs = listener.cpuMs() - lcpu0
    const latencyBenchCpuMs = cpuMsSince(lbench0)
    latencies.sort((a, b) => a - b)
    const latency = {
      achievedPerSecond: Math.round(settledWhilePaced / (paced / 1000)),
      benchCpuShare: inProcess ? undefined : share(latencyBenchCpuMs, latencyMs),
      changes: latencies.length,
      cpuMsPerNotification: +(latencyCpuMs / Math.max(1, pub1)).toFixed(3),
      listenCpuShare: share(latencyCpuMs, latencyMs),
      loadavg1m: [latencyLoad0, load1()],
      offeredPerSecond: Math.round(pub1 / (paced / 1000)),
      p50Ms: +percentile(latencies, 0.5).toFixed(1),
      p99Ms: +percentile(latencies, 0.99).toFixed(1),
      ranOutOfChanges: next >= shown.length,
      requestedPerSecond: rate,
      unapplied: pending.size,
    }

    const peakRssMb = listener.peakRssMb()
    const summary = await listener.stop()
    await pubConn.close()
    if (inProcess) await store.close()
    console.log(
      JSON.stringify(
        {
          listen: {
            cloud: {servers: sim.world.servers.size, shownServers: shown.length},
            mode: listener.description,
            store: storeSection.type ?? 'file',
            firstSync: {actions: first.actions.length, seconds: +(syncMs / 1000).toFixed(2)},
            latency,
            peakRssMb,
            summary,
            sustained,
            targets: {latencyP99MsAt500: 250, sustainedPerSecond: 2000},
          },
        },
        null,
        2,
      ),
    )
  } finally {
    await child?.kill()
    await sim.stop()
    rmSync(dir, {force: true, recursive: true})
    execFileSync('rabbitmqctl', ['delete_vhost', vhost], {stdio: 'ignore'})
  }
}
