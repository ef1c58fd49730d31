/**
 * Benchmark of `concertim-os serve`: `npm run bench -- serve [--latency-ms 2] [--clients 50]
 * [--seconds 8] [--seed 1] [--only key_pairs|update_status] [--dev] [--node-args '--cpu-prof --cpu-prof-dir /tmp/prof']` (node options of the serve process).
 *
 * The simulator (every system at `--latency-ms`) runs here; `serve` runs as the real CLI in a child
 * process (so its CPU is its own); `--clients` concurrent clients, each with a fresh JWT per request
 * as the app sends them, for `--seconds` per scenario:
 *  1. `GET /key_pairs` of one user (its cloud_env): the session cache means one Keystone
 *     authentication for the whole run;
 *  2. `POST /update_status/instances/<id>`: each client toggles its own server off/on (a real
 *     action each time, then the scoped reconcile into Concertim).
 * Prints JSON: requests/s, p50/p99/max ms, errors, and Keystone authentications per 1,000 requests.
 *
 * Wall times depend on what else the machine runs, so each scenario also gives CPU figures that do
 * not: `serve_cpu_ms_per_request` (the serve process's user+system time, from /proc, per request),
 * `serve_cpu_share` (its CPU time over the wall time: near 1 means serve is saturated on its one
 * thread), `bench_cpu_share` (this process: the simulator and the clients; near 1 means the figures
 * measure the load generator, not serve) and the load average around the run. Tokens are signed
 * before each scenario (as many as it can use), so that the clients spend no CPU on them during it.
 * `upstream_calls_per_request` counts the simulator's requests (Keystone, Nova, Concertim…) per
 * request to serve: what a route, and the reconcile after an action, cost upstream.
 */
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {randomUUID} from 'node:crypto'
import {SignJWT} from 'jose'
import {Pool} from 'undici'

import {cpuMsOf, freePort, peakRssMbOf} from './child-usage.js'
import {loadConfig} from '../src/lib/config/index.js'
import {createReconcileEngine} from '../src/lib/runtime/reconcile-engine.js'
import {startSimulator} from '../src/sim/index.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SECRET = 'bench-serve-shared-secret-0123456789'

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

interface Figures {
  bench_cpu_share: number
  errors: number
  loadavg_1m: [number, number]
  max_ms: number
  p50_ms: number
  p99_ms: number
  requests: number
  requests_per_s: number
  serve_cpu_ms_per_request: null | number
  serve_cpu_share: null | number
  statuses: Record<string, number>
  tokens_signed_during_run: number
  /** Requests the simulator answered per request to serve, by system (what one route costs upstream). */
  upstream_calls_per_request: Record<string, number>
}

export async function run(args: string[]): Promise<void> {
  const latencyMs = Number(option(args, 'latency-ms', '2'))
  const clients = Number(option(args, 'clients', '50'))
  const seconds = Number(option(args, 'seconds', '8'))
  const seed = Number(option(args, 'seed', '1'))
  const sim = await startSimulator({latencyMs, preset: 'small', seed, sizes: {servers: Math.max(60, clients + 10), stacks: 12}})
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-bench-serve-'))
  const key = await globalThis.crypto.subtle.importKey('raw', new TextEncoder().encode(SECRET), {hash: 'SHA-256', name: 'HMAC'}, false, ['sign'])
  let child: ReturnType<typeof spawn> | undefined
  try {
    const configPath = join(dir, 'config.yaml')
    writeFileSync(configPath, JSON.stringify({...sim.config({logLevel: 'warn'}), api: {replay_cache_size: 1_000_000}, lock_dir: dir, store: {path: join(dir, 'view.json')}}))
    const config = loadConfig({env: {}, path: configPath}).config
    // Concertim shows the cloud first (devices exist to be updated).
    const {engine, store} = createReconcileEngine(config, {settings: {retries: 0}})
    await engine.sync()
    await store.close()

    // One member user per project, with its own password.
    const member = sim.world.roleByName('member') ?? sim.world.addRole({id: 'bench-member', name: 'member'})
    const envOf = new Map<string, Record<string, string>>()
    for (const p of sim.world.projects.values()) {
      const id = `bench-${p.id}`
      const password = `bench-pw-${p.id.slice(0, 8)}`
      sim.world.addUser({defaultProjectId: p.id, description: '', domainId: 'default', email: null, enabled: true, id, name: `CM_bench_${p.name}`, password})
      sim.world.assign({projectId: p.id, roleId: member.id, userId: id})
      envOf.set(p.id, {auth_url: `${sim.endpoints.keystone}/v3`, password, project_id: p.id, user_id: id})
    }

    const port = await freePort()
    const nodeArgs = option(args, 'node-args', '').split(' ').filter(Boolean)
    // The CLI as it ships (compiled, bin/run.js, dist/ rebuilt first); --dev runs the sources through tsx.
    const entry = args.includes('--dev') ? ['--import', 'tsx', 'bin/dev.js'] : ['bin/run.js']
    if (!args.includes('--dev')) {
      const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {cwd: ROOT, encoding: 'utf8'})
      if (build.status !== 0) console.error(`warning: tsc reported errors (dist/ was still emitted):\n${build.stdout.slice(0, 2000)}`)
    }
    child = spawn(process.execPath, [...nodeArgs, ...entry, 'serve', '--config', configPath, '--port', String(port), '--log-level', 'warn'], {
      cwd: ROOT,
      env: {...process.env, JWT_SECRET: SECRET},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const pool = new Pool(`http://127.0.0.1:${port}`, {connections: clients, pipelining: 1})
    const deadline = Date.now() + 60_000
    for (;;) {
      try {
        const r = await pool.request({method: 'GET', path: '/'})
        await r.body.text()
        if (r.statusCode === 200) break
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`serve did not start: ${stderr}`)
      await new Promise((r) => setTimeout(r, 200))
    }

    const sign = async () => {
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({}).setProtectedHeader({alg: 'HS256'}).setIssuedAt(now).setExpirationTime(now + 60).setJti(randomUUID()).sign(key)
    }
    // Enough tokens for the scenario at well above the target rate (each is used once: jti).
    let tokens: string[] = []
    let signedDuringRun = 0
    const token = async () => {
      const t = tokens.pop()
      if (t !== undefined) return t
      signedDuringRun++
      return sign()
    }
    const load = async (next: (client: number) => {body: unknown; method: 'GET' | 'POST'; path: string}): Promise<Figures> => {
      tokens = await Promise.all(Array.from({length: Math.min(30_000, seconds * 1500)}, sign))
      signedDuringRun = 0
      const latencies: number[] = []
      const statuses: Record<string, number> = {}
      let errors = 0
      const load0 = loadavg()[0]
      const serveCpu0 = cpuMsOf(child?.pid)
      const benchCpu0 = process.cpuUsage()
      const sim0 = sim.stats()
      const started = performance.now()
      const end = started + seconds * 1000
      await Promise.all(
        Array.from({length: clients}, async (_, c) => {
          while (performance.now() < end) {
            const {body, method, path} = next(c)
            const t0 = performance.now()
            try {
              // reset: false — undici closes the connection after a GET with a body unless told not to; the
              // app's HTTP client (Faraday on Net::HTTP) keeps it open, as a real client would.
              const r = await pool.request({body: JSON.stringify(body), headers: {authorization: `Bearer ${await token()}`, 'content-type': 'application/json'}, method, path, reset: false})
              await r.body.text()
              statuses[r.statusCode] = (statuses[r.statusCode] ?? 0) + 1
              if (r.statusCode >= 400) errors++
            } catch {
              errors++
            }
            latencies.push(performance.now() - t0)
          }
        }),
      )
      const wall = (performance.now() - started) / 1000
      const serveCpu1 = cpuMsOf(child?.pid)
      const bench = process.cpuUsage(benchCpu0)
      latencies.sort((a, b) => a - b)
      const round = (x: number) => Math.round(x * 10) / 10
      const serveCpuMs = serveCpu0 === undefined || serveCpu1 === undefined ? null : serveCpu1 - serveCpu0
      const n = Math.max(1, latencies.length)
      const sim1 = sim.stats()
      const upstream: Record<string, number> = {}
      for (const [system, st] of Object.entries(sim1)) {
        const calls = st.requests - sim0[system as keyof typeof sim0].requests
        if (calls > 0) upstream[system] = Math.round((calls / n) * 100) / 100
      }
      return {
        bench_cpu_share: Math.round(((bench.user + bench.system) / 1000 / (wall * 1000)) * 100) / 100,
        errors,
        loadavg_1m: [Math.round(load0 * 100) / 100, Math.round(loadavg()[0] * 100) / 100],
        max_ms: round(latencies.at(-1) ?? 0),
        p50_ms: round(percentile(latencies, 50)),
        p99_ms: round(percentile(latencies, 99)),
        requests: latencies.length,
        requests_per_s: Math.round(latencies.length / wall),
        serve_cpu_ms_per_request: serveCpuMs === null ? null : Math.round((serveCpuMs / n) * 100) / 100,
        serve_cpu_share: serveCpuMs === null ? null : Math.round((serveCpuMs / (wall * 1000)) * 100) / 100,
        statuses,
        tokens_signed_during_run: signedDuringRun,
        upstream_calls_per_request: upstream,
      }
    }
    const keystoneAuths = () => sim.apps.keystone.stats.requests

    // 1. GET /key_pairs of one user.
    const someServer = sim.world.servers.all()[0]
    const oneUser = envOf.get(someServer.projectId) as Record<string, string>
    const ksBefore = keystoneAuths()
    const only = option(args, 'only', '')
    const keyPairs = only === 'update_status' ? undefined : await load(() => ({body: {cloud_env: oneUser}, method: 'GET', path: '/key_pairs'}))
    const ksKeyPairs = keystoneAuths() - ksBefore

    // 2. POST /update_status/instances/<id>: each client toggles its own active server.
    const servers = sim.world.servers.all().filter((s) => s.vmState === 'active').slice(0, clients)
    const nextAction = servers.map(() => 'off')
    const ks2 = keystoneAuths()
    const statusChange = only === 'key_pairs' ? undefined : await load((c) => {
      const s = servers[c % servers.length]
      const action = nextAction[c % servers.length]
      nextAction[c % servers.length] = action === 'off' ? 'on' : 'off'
      return {body: {action, cloud_env: envOf.get(s.projectId)}, method: 'POST', path: `/update_status/instances/${s.id}`}
    })
    const ksStatus = keystoneAuths() - ks2
    await pool.close()
    console.log(
      JSON.stringify(
        {
          clients,
          key_pairs: keyPairs && {...keyPairs, keystone_authentications: ksKeyPairs, keystone_authentications_per_1000: Math.round((ksKeyPairs / Math.max(1, keyPairs.requests)) * 1000 * 100) / 100},
          latency_ms: latencyMs,
          seconds,
          serve_peak_rss_mb: peakRssMbOf(child?.pid) ?? null,
          targets: {key_pairs_p99_ms: 50, keystone_authentications_per_1000_from_one_user: 1, requests_per_s: 500},
          update_status_instances: statusChange && {...statusChange, distinct_users: new Set(servers.map((s) => s.projectId)).size, keystone_authentications: ksStatus},
        },
        null,
        2,
      ),
    )
  } finally {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r))
      child.kill('SIGTERM')
      await exited
    }
    await sim.stop()
    rmSync(dir, {force: true, recursive: true})
  }
}
