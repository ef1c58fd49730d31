/**
 * Benchmark of `sync` on the simulator: `npm run bench -- sync [--preset cloud-10k] [--latency-ms 2]
 * [--seed 1] [--churn 0.01]`.
 *
 * Three runs of the real, compiled CLI (`bin/run.js`, as deployed; `dist/` is rebuilt first) in a
 * child process (`sync --json`, so that wall time and peak RSS are its own, not the simulator's): the first sync into an empty Concertim, a no-change sync, and a
 * sync after churn of 1% of the servers (stopped, suspended, errored, deleted) plus stacks updated
 * and added. Prints JSON: wall time (process) and sync time (the command's own), calls by system and
 * method, writes, the list pages a full read needs and the ratio of calls to them, CPU and peak RSS
 * of the CLI process.
 * `--node-options "--max-old-space-size=192"` passes V8 options to the CLI (see the note in the
 * output: peak RSS is mostly garbage V8 has not collected yet; the live heap stays under 100 MB).
 */
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {SyncResult} from '../src/commands/sync.js'
import type {CloudPreset} from '../src/sim/generator.js'
import {type Simulator, startSimulator} from '../src/sim/index.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PAGE_SIZE = 1000

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}

interface Measured {
  code: null | number
  /** User + system CPU of the CLI process (ms). */
  cpuMs: null | number
  peakRssMb: null | number
  result?: SyncResult
  stderr: string
  wallMs: number
}

/** The CLI under /usr/bin/time (its maximum resident set, KB, and CPU seconds, on the last stderr line). */
async function syncMeasured(configPath: string, nodeOptions: string[]): Promise<Measured> {
  const started = performance.now()
  const child = spawn('/usr/bin/time', ['-f', 'MAXRSS_KB=%M CPU_S=%U+%S', process.execPath, ...nodeOptions, 'bin/run.js', 'sync', '--json', '--config', configPath], {
    cwd: ROOT,
    env: {...process.env, NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const code = await new Promise<null | number>((resolve) => {
    child.on('close', (c) => resolve(c))
  })
  const wallMs = Math.round(performance.now() - started)
  const rss = /MAXRSS_KB=(\d+)/.exec(stderr)
  const cpu = /CPU_S=([\d.]+)\+([\d.]+)/.exec(stderr)
  let result: SyncResult | undefined
  try {
    result = JSON.parse(stdout) as SyncResult
  } catch {
    result = undefined
  }
  return {code, cpuMs: cpu ? Math.round((Number(cpu[1]) + Number(cpu[2])) * 1000) : null, peakRssMb: rss ? Math.round(Number(rss[1]) / 1024) : null, result, stderr: stderr.replace(/MAXRSS_KB=\d+ CPU_S=\S+\s*$/, '').slice(-2000), wallMs}
}

/** Pages of a listing of n records when a full page always gets a next link. */
const pages = (n: number): number => Math.floor(n / PAGE_SIZE) + 1

/** The list pages one full observation needs (what a no-change sync can at best do). */
function listPages(sim: Simulator): Record<string, number> {
  const topStacks = sim.world.stacks.all().filter((s) => s.parentId === null).length
  return {
    cinder: pages(sim.world.volumes.size),
    concertim: 4,
    heat: pages(topStacks),
    killbill: pages([...sim.killbill.customFields.values()].filter((f) => f.name === 'openstack_stack_id').length),
    neutron: pages(sim.world.networks.size),
    nova: pages(sim.world.servers.size) + pages(sim.world.flavors.size),
  }
}

function summary(name: string, m: Measured, pagesBySystem: Record<string, number>): Record<string, unknown> {
  const r = m.result
  const totalPages = Object.values(pagesBySystem).reduce((a, b) => a + b, 0)
  const calls = r === undefined ? 0 : Object.values(r.calls).reduce((n, s) => n + s.calls, 0)
  const writes = r === undefined ? 0 : Object.values(r.calls).reduce((n, s) => n + s.writes, 0)
  return {
    run: name,
    exitCode: m.code,
    wallMs: m.wallMs,
    syncMs: r?.durationMs ?? null,
    cpuMs: m.cpuMs,
    peakRssMb: m.peakRssMb,
    calls,
    writes,
    listPages: totalPages,
    callsPerListPage: Math.round((calls / totalPages) * 100) / 100,
    callsByMethod: r?.callsByMethod ?? null,
    counts: r?.counts ?? null,
    failures: r?.failures.length ?? null,
    problems: r?.problems ?? null,
    ...(m.code === 0 ? {} : {stderr: m.stderr}),
  }
}

export async function run(args: string[]): Promise<void> {
  const preset = option(args, 'preset', 'cloud-10k') as CloudPreset
  const latencyMs = Number(option(args, 'latency-ms', '2'))
  const seed = Number(option(args, 'seed', '1'))
  const churn = Number(option(args, 'churn', '0.01'))
  const nodeOptions = option(args, 'node-options', '').split(/\s+/).filter((o) => o !== '')

  // The deployed CLI is the compiled one (tsx alone costs ~130 MB of RSS).
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {cwd: ROOT, encoding: 'utf8'})
  if (build.status !== 0) console.error(`warning: tsc reported errors (dist/ was still emitted):\n${build.stdout.slice(0, 2000)}`)

  const t0 = performance.now()
  const sim = await startSimulator({latencyMs, preset, seed})
  const startMs = Math.round(performance.now() - t0)
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-bench-sync-'))
  const configPath = join(dir, 'config.yaml')
  writeFileSync(configPath, JSON.stringify({...sim.config({logLevel: 'warn'}), lock_dir: dir, store: {path: join(dir, 'view.json')}}))
  try {
    const runs: Record<string, unknown>[] = []
    runs.push(summary('first', await syncMeasured(configPath, nodeOptions), listPages(sim)))
    runs.push(summary('no-change', await syncMeasured(configPath, nodeOptions), listPages(sim)))

    // Churn: a share of the servers change state or go; some stacks grow; new stacks come.
    const servers = sim.world.servers.all()
    const n = Math.max(4, Math.round(servers.length * churn))
    const picked = servers.filter((_, i) => i % Math.max(1, Math.floor(servers.length / n)) === 0).slice(0, n)
    picked.forEach((s, i) => {
      switch (i % 4) {
        case 0: {
          sim.changes.stopServer(s.id)
          break
        }
        case 1: {
          sim.changes.suspendServer(s.id)
          break
        }
        case 2: {
          sim.changes.errorServer(s.id)
          break
        }
        default: {
          sim.changes.deleteServer(s.id)
        }
      }
    })
    const stacks = sim.world.stacks.all().filter((s) => s.parentId === null)
    const m = Math.max(1, Math.round(stacks.length * churn))
    for (const s of stacks.slice(0, m)) sim.changes.updateStack(s.id, {addServers: 1})
    for (let i = 0; i < m; i++) sim.changes.createStack({name: `bench-new-${i}`, projectId: stacks[i % stacks.length].projectId, servers: 2, volumes: 1})
    runs.push({...summary('churn', await syncMeasured(configPath, nodeOptions), listPages(sim)), churn: {newStacks: m, servers: picked.length, stacksUpdated: m}})

    console.log(
      JSON.stringify(
        {
          cloud: {
            devices: sim.concertim.devices.size,
            flavors: sim.world.flavors.size,
            networks: sim.world.networks.size,
            racks: sim.concertim.racks.size,
            servers: sim.world.servers.size,
            stacks: sim.world.stacks.all().filter((s) => s.parentId === null).length,
            volumes: sim.world.volumes.size,
          },
          latencyMs,
          nodeOptions,
          preset,
          runs,
          simulatorStartMs: startMs,
          targets: {firstSyncMs: 30_000, noChangeCallsPerListPage: 1.2, noChangeSyncMs: 3000, noChangeWrites: 0, peakRssMb: 300},
        },
        null,
        2,
      ),
    )
  } finally {
    await sim.stop()
    rmSync(dir, {force: true, recursive: true})
  }
}
