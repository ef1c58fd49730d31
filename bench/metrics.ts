/**
 * Benchmark of `metrics push` on the simulator: `npm run bench -- metrics [--preset cloud-10k]
 * [--latency-ms 2] [--seed 1] [--passes 1]`.
 *
 * Concertim gets one Instance device per server (as a sync would leave it); then the real CLI runs
 * in a child process (`metrics push --json`), so that its wall time and peak RSS are its own, not
 * the simulator's. Prints JSON: Gnocchi, MRD and other calls per run (as the simulator counted
 * them), wall time, the pass's own time, peak RSS, and the counts of the run.
 */
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import type {MetricsPushResult} from '../src/commands/metrics/push.js'
import type {CloudPreset} from '../src/sim/generator.js'
import {SIM_SYSTEMS, startSimulator} from '../src/sim/index.js'
import {seedInstanceDevices, writeSimConfig} from '../test/integration/metrics/support.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}

/** Peak resident set (VmHWM) of a live process, MiB; undefined once it has gone. */
function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : undefined
  } catch {
    return undefined
  }
}

async function runCliMeasured(args: string[]): Promise<{code: null | number; peakRssMb?: number; stderr: string; stdout: string; wallMs: number}> {
  const started = performance.now()
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.js', ...args], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  let peak: number | undefined
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const poll = setInterval(() => {
    const now = child.pid === undefined ? undefined : peakRssMb(child.pid)
    if (now !== undefined) peak = Math.max(peak ?? 0, now)
  }, 10)
  const code = await new Promise<null | number>((resolve) => {
    child.on('close', (c) => resolve(c))
  })
  clearInterval(poll)
  return {code, peakRssMb: peak, stderr, stdout, wallMs: Math.round(performance.now() - started)}
}

export async function run(args: string[]): Promise<void> {
  const preset = option(args, 'preset', 'cloud-10k') as CloudPreset
  const latencyMs = Number(option(args, 'latency-ms', '2'))
  const passes = Number(option(args, 'passes', '1'))
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
       
      const r = await runCliMeasured(['metrics', 'push', '--config', path, '--json', '--log-level', 'warn'])
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
        counts: report?.counts,
        exitCode: r.code,
        gnocchiCalls: calls.gnocchi ?? 0,
        mrdCalls: calls.mrd ?? 0,
        passMs: report?.durationMs,
        peakRssMb: r.peakRssMb,
        stderr: r.code === 0 ? undefined : r.stderr.slice(0, 2000),
        wallMs: r.wallMs,
      })
    }
    console.log(
      JSON.stringify(
        {
          devices: servers.length,
          latencyMsPerRequest: latencyMs,
          note: 'wallMs: the CLI process from spawn to exit (Node + tsx start-up included); passMs: the pass itself (devices → Gnocchi → MRD)',
          preset,
          results,
          scenario: 'metrics push',
          servers: servers.length,
          setupMs,
          targets: {gnocchiCalls: 'independent of the number of servers (a handful)', wallMs: '≤ 10000 with 2 ms per request'},
        },
        null,
        2,
      ),
    )
  } finally {
    await sim.stop()
  }
}
