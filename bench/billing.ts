/**
 * Benchmark of `billing reconcile` on the simulator: `npm run bench -- billing [--preset cloud-10k]
 * [--latency-ms 2] [--seed 1]`.
 *
 * The world is synced first (in-process: racks carry their Kill Bill subscriptions, devices their
 * cloud ids), at a fixed simulator clock so that CloudKitty's month-to-date moves only when the
 * benchmark says. Then the real, compiled CLI (`bin/run.js`; dist/ rebuilt first) runs in a child
 * process (`billing reconcile --json`): the first run (every cost, credit, period and usage record
 * written), a no-change run, and a run an hour of rating later. Prints JSON: wall time, the run's
 * own time, calls and writes by system, CloudKitty calls, the counts, and the targets.
 */
import {spawn, spawnSync} from 'node:child_process'
import {loadavg} from 'node:os'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {BillingReconcileResult} from '../src/commands/billing/reconcile.js'
import {loadConfig} from '../src/lib/config/index.js'
import {CallLedger} from '../src/lib/http/index.js'
import {createReconcileEngine} from '../src/lib/runtime/reconcile-engine.js'
import type {CloudPreset} from '../src/sim/generator.js'
import {startSimulator} from '../src/sim/index.js'
import {cpuMsOf} from './child-usage.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const HOUR = 3_600_000

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}

async function billMeasured(configPath: string): Promise<{code: null | number; cpuMs?: number; peakRssMb?: number; result?: BillingReconcileResult; stderr: string; wallMs: number}> {
  const started = performance.now()
  // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each measured CLI run (`node --cpu-prof` is refused in NODE_OPTIONS).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : []
  // The CLI's own peak RSS, written at its exit by a preload (as bench/startup.ts reads it).
  const usageFile = join(mkdtempSync(join(tmpdir(), 'concertim-os-bench-usage-')), 'usage')
  const child = spawn(process.execPath, [...profile, '--import', './bench/cpu-at-exit.mjs', 'bin/run.js', 'billing', 'reconcile', '--json', '--config', configPath], {cwd: ROOT, env: {...process.env, BENCH_CPU_FILE: usageFile, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  let cpu: number | undefined
  const poll = setInterval(() => {
    const used = cpuMsOf(child.pid)
    if (used !== undefined) cpu = Math.max(cpu ?? 0, used)
  }, 10)
  const code = await new Promise<null | number>((resolve) => {
    child.on('close', (c) => resolve(c))
  })
  clearInterval(poll)
  let result: BillingReconcileResult | undefined
  try {
    result = JSON.parse(stdout) as BillingReconcileResult
  } catch {
    result = undefined
  }
  let peakRssMb: number | undefined
  try {
    peakRssMb = Math.round(Number(readFileSync(usageFile, 'utf8').trim().split(' ')[1]) / 1024)
  } catch {
    peakRssMb = undefined
  }
  rmSync(dirname(usageFile), {force: true, recursive: true})
  return {code, cpuMs: cpu, peakRssMb, result, stderr: stderr.slice(-2000), wallMs: Math.round(performance.now() - started)}
}

function summary(name: string, m: Awaited<ReturnType<typeof billMeasured>>): Record<string, unknown> {
  const r = m.result
  const calls = r === undefined ? {} : r.calls
  return {
    run: name,
    exitCode: m.code,
    wallMs: m.wallMs,
    runMs: r?.durationMs ?? null,
    cliCpuMs: m.cpuMs ?? null,
    peakRssMb: m.peakRssMb ?? null,
    cloudkittyCalls: calls.cloudkitty?.calls ?? 0,
    calls: Object.values(calls).reduce((n, s) => n + s.calls, 0),
    writes: Object.values(calls).reduce((n, s) => n + s.writes, 0),
    callsBySystem: Object.fromEntries(Object.entries(calls).map(([k, s]) => [k, {calls: s.calls, errors: s.errors, writes: s.writes}])),
    counts: r?.counts ?? null,
    problems: r?.problems.slice(0, 5) ?? null,
    ...(m.code === 0 ? {} : {stderr: m.stderr}),
  }
}

export async function run(args: string[]): Promise<void> {
  const preset = option(args, 'preset', 'cloud-10k') as CloudPreset
  const latencyMs = Number(option(args, 'latency-ms', '2'))
  const seed = Number(option(args, 'seed', '1'))
  const build = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {cwd: ROOT, encoding: 'utf8'})
  if (build.status !== 0) console.error(`warning: tsc reported errors (dist/ was still emitted):\n${build.stdout.slice(0, 2000)}`)
  // The manifest too, as `npm run build` makes it: without it oclif imports every command module at
  // each start, which an installed CLI never does.
  const manifest = spawnSync(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'scripts/manifest.ts'], {cwd: ROOT, encoding: 'utf8'})
  if (manifest.status !== 0) console.error(`warning: oclif.manifest.json not written:\n${manifest.stderr.slice(0, 2000)}`)

  // The middle of the current hour: the CLI bills the real current month, the simulator's clock stays in it.
  const clock = {now: Math.floor(Date.now() / HOUR) * HOUR + HOUR / 2}
  const sim = await startSimulator({latencyMs, now: () => clock.now, preset, seed})
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-bench-billing-'))
  const configPath = join(dir, 'config.yaml')
  writeFileSync(configPath, JSON.stringify({...sim.config({logLevel: 'warn'}), lock_dir: dir, store: {path: join(dir, 'view.json')}}))
  try {
    const t0 = performance.now()
    const {engine, store} = createReconcileEngine(loadConfig({env: {}, path: configPath}).config, {ledger: new CallLedger()})
    await engine.sync({})
    await store.close()
    const syncMs = Math.round(performance.now() - t0)
    const runs: Record<string, unknown>[] = []
    runs.push(summary('first', await billMeasured(configPath)))
    runs.push(summary('no-change', await billMeasured(configPath)))
    clock.now += HOUR
    runs.push(summary('an-hour-later', await billMeasured(configPath)))
    console.log(
      JSON.stringify(
        {
          cloud: {devices: sim.concertim.devices.size, racks: sim.concertim.racks.size, servers: sim.world.servers.size, subscriptions: sim.killbill.subscriptions.size, teams: sim.concertim.teams.size, volumes: sim.world.volumes.size},
          latencyMs,
          loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
          preset,
          runs,
          syncMs,
          targets: {cloudkittyCallsPerRun: 10, firstRunMs: 20_000, noChangeRunMs: 5000, noChangeWrites: 0},
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
