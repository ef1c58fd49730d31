/**
 * Benchmark of `metrics push` on the simulator: `npm run bench -- metrics [--preset cloud-10k]
 * [--latency-ms 2] [--seed 1] [--passes 1] [--node-args '--cpu-prof --cpu-prof-dir /tmp/prof'] [--cli-args '--concurrency 64']`.
 *
 * Concertim gets one Instance device per server (as a sync would leave it); then the real CLI runs
 * in a child process (`metrics push --json`), so that its wall time and peak RSS are its own, not
 * the simulator's. The CLI is the compiled one (`bin/run.js`, dist/ rebuilt first), as it ships;
 * `--dev` runs the sources through tsx instead (slower start). Prints JSON: Gnocchi, MRD and other calls per run (as the simulator counted
 * them), wall time, the pass's own time, peak RSS, and the counts of the run.
 */
import {execFileSync, spawn} from 'node:child_process'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {MetricsPushResult} from '../src/commands/metrics/push.js'
import type {CloudPreset} from '../src/sim/generator.js'
import {SIM_SYSTEMS, startSimulator} from '../src/sim/index.js'
import {cpuMsOf, peakRssMbOf} from './child-usage.js'
import {seedInstanceDevices, writeSimConfig} from '../test/integration/metrics/support.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}

async function runCliMeasured(args: string[], nodeArgs: string[] = [], dev = false): Promise<{code: null | number; cpuMs?: number; peakRssMb?: number; stderr: string; stdout: string; wallMs: number}> {
  const started = performance.now()
  // The CLI as it ships (compiled, bin/run.js); --dev runs the TypeScript sources through tsx instead.
  const entry = dev ? ['--import', 'tsx', 'bin/dev.js'] : ['bin/run.js']
  const child = spawn(process.execPath, [...nodeArgs, ...entry, ...args], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  let peak: number | undefined
  let cpu: number | undefined
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const poll = setInterval(() => {
    const now = peakRssMbOf(child.pid)
    if (now !== undefined) peak = Math.max(peak ?? 0, now)
    const used = cpuMsOf(child.pid)
    if (used !== undefined) cpu = Math.max(cpu ?? 0, used)
  }, 10) // CPU: the last reading before the child went, so at most one poll period short
  const code = await new Promise<null | number>((resolve) => {
    child.on('close', (c) => resolve(c))
  })
  clearInterval(poll)
  return {code, cpuMs: cpu === undefined ? undefined : Math.round(cpu), peakRssMb: peak, stderr, stdout, wallMs: Math.round(performance.now() - started)}
}

export async function run(args: string[]): Promise<void> {
  const preset = option(args, 'preset', 'cloud-10k') as CloudPreset
  const latencyMs = Number(option(args, 'latency-ms', '2'))
  const passes = Number(option(args, 'passes', '1'))
  // Node options for the CLI child, e.g. --node-args '--cpu-prof --cpu-prof-dir /tmp/prof' (space-separated).
  const nodeArgs = option(args, 'node-args', '').split(' ').filter((a) => a !== '')
  // Extra arguments for `metrics push`, e.g. --cli-args '--concurrency 64'.
  const cliArgs = option(args, 'cli-args', '').split(' ').filter((a) => a !== '')
  const dev = args.includes('--dev')
  // What bin/run.js runs: dist/, compiled from the sources as they are now.
  if (!dev) execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], {cwd: ROOT, stdio: 'inherit'})
  const setupStarted = performance.now()
  const sim = await startSimulator({latencyMs, preset, seed: Number(option(args, 'seed', '1'))})
  try {
    const servers = sim.world.servers.all().map((s) => s.id)
    seedInstanceDevices(sim, servers)
    const {path} = writeSimConfig(sim, {http: {}})
    const setupMs = Math.round(performance.now() - setupStarted)
    const results = []
    for (let i = 0; i < passes; i++) {
      const before = sim.stats()
      const simCpuBefore = process.cpuUsage()
       
      const r = await runCliMeasured(['metrics', 'push', '--config', path, '--json', '--log-level', 'warn', ...cliArgs], nodeArgs, dev)
      const simCpu = process.cpuUsage(simCpuBefore)
      const after = sim.stats()
      const calls = Object.fromEntries(SIM_SYSTEMS.map((s) => [s, after[s].requests - before[s].requests]).filter(([, n]) => n !== 0))
      let report: MetricsPushResult | undefined
      try {
        report = JSON.parse(r.stdout) as MetricsPushResult
      } catch {
        report = undefined
      }
      results.push({
        callsBySystem: calls,
        cliCpuMs: r.cpuMs,
        counts: report?.counts,
        exitCode: r.code,
        gnocchiCalls: calls.gnocchi ?? 0,
        mrdCalls: calls.mrd ?? 0,
        passMs: report?.durationMs,
        peakRssMb: r.peakRssMb,
        simCpuMs: Math.round((simCpu.user + simCpu.system) / 1000),
        stderr: r.code === 0 ? undefined : r.stderr.slice(0, 2000),
        wallMs: r.wallMs,
      })
    }
    console.log(
      JSON.stringify(
        {
          devices: servers.length,
          latencyMsPerRequest: latencyMs,
          note: 'wallMs: the CLI process from spawn to exit (Node start-up included); passMs: the pass itself (devices → Gnocchi → MRD); cliCpuMs: user + system CPU of the CLI process (/proc/<pid>/stat, to 10 ms); simCpuMs: CPU of this process (the simulator) meanwhile',
          preset,
          results,
          scenario: 'metrics push',
          servers: servers.length,
          setupMs,
          targets: {gnocchiCalls: '3 per metrics.batch_size servers (default 10,000: 3 for 10,000 servers)', wallMs: '≤ 10000 with 2 ms per request'},
        },
        null,
        2,
      ),
    )
  } finally {
    await sim.stop()
  }
}
