/**
 * Benchmark of `users create --pending` on the simulator: `npm run bench -- users [--users 1000]
 * [--latency-ms 2] [--concurrency 16] [--dev]`.
 *
 * Concertim gets N users without a cloud identity, each with its own `<login>_team` (what the app
 * makes after sign-up) and no project or billing account; Keystone and Kill Bill have nothing for
 * them. The compiled CLI (dist/ rebuilt first; `--dev` runs the sources through tsx) links them all
 * in a child process. Prints JSON: wall time, the calls as the simulator counted them, calls per
 * user+team (target: at most 10, and at most 30 s at 2 ms per request for 1,000), and a check that
 * every user and team ended linked exactly once.
 */
import {execFileSync, spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {SIM_SYSTEMS, startSimulator} from '../src/sim/index.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}

export async function run(args: string[]): Promise<void> {
  const n = Number(option(args, 'users', '1000'))
  const latencyMs = Number(option(args, 'latency-ms', '2'))
  const concurrency = option(args, 'concurrency', '16')
  const dev = args.includes('--dev')
  if (!dev) execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], {cwd: ROOT, stdio: 'inherit'})
  const sim = await startSimulator({latencyMs, preset: 'empty', seed: 1})
  const dir = mkdtempSync(join(tmpdir(), 'cos-bench-users-'))
  try {
    for (let i = 0; i < n; i++) {
      const login = `user${String(i).padStart(5, '0')}`
      const user = sim.concertim.addUser({email: `${login}@example.com`, login, name: login, password: `${login}-pw`})
      const team = sim.concertim.addTeam({name: `${login}_team`, single_user: true})
      sim.concertim.addTeamRole({role: 'admin', team_id: team.id, user_id: user.id})
    }
    const configPath = join(dir, 'config.yaml')
    writeFileSync(configPath, JSON.stringify({...sim.config({logLevel: 'warn'}), lock_dir: dir, store: {path: join(dir, 'view.json')}}))
    const before = sim.stats()
    const started = performance.now()
    const entry = dev ? ['--import', 'tsx', 'bin/dev.js'] : ['bin/run.js']
    // The CLI's own CPU and peak RSS, written at its exit by a preload (as bench/startup.ts reads them).
    const usageFile = join(dir, 'usage')
    const child = spawn(process.execPath, ['--import', './bench/cpu-at-exit.mjs', ...entry, 'users', 'create', '--pending', '--concurrency', concurrency, '--generate-password', '--password-out', join(dir, 'passwords'), '--json', '--config', configPath], {cwd: ROOT, env: {...process.env, BENCH_CPU_FILE: usageFile, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<null | number>((resolve) => child.on('close', resolve))
    const wallMs = Math.round(performance.now() - started)
    const after = sim.stats()
    const calls: Record<string, number> = {}
    let total = 0
    for (const s of SIM_SYSTEMS) {
      const d = after[s].requests - before[s].requests
      if (d > 0) calls[s] = d
      total += d
    }
    const result = code === 0 ? (JSON.parse(stdout) as {calls: Record<string, {writes: number}>; counts: Record<string, number>}) : undefined
    const writes = result === undefined ? undefined : Object.values(result.calls).reduce((x, s) => x + s.writes, 0)
    const linkedUsers = [...sim.concertim.users.values()].filter((u) => !u.root && u.cloud_user_id !== null).length
    const linkedTeams = [...sim.concertim.teams.values()].filter((t) => t.project_id !== null && t.billing_acct_id !== null).length
    let usage: {cliCpuMs: number; peakRssMb: number} | undefined
    try {
      const [cpuUs, rssKb] = readFileSync(usageFile, 'utf8').trim().split(' ').map(Number)
      usage = {cliCpuMs: Math.round(cpuUs / 1000), peakRssMb: Math.round(rssKb / 1024)}
    } catch {
      usage = undefined
    }
    const out = {
      callsBySystem: calls,
      cliCpuMs: usage?.cliCpuMs ?? null,
      callsPerUserAndTeam: Math.round((total / n) * 100) / 100,
      cli: dev ? 'tsx (sources)' : 'compiled',
      concurrency: Number(concurrency),
      counts: result?.counts,
      exitCode: code,
      keystoneProjects: sim.world.projects.size - 2,
      keystoneUsers: sim.world.users.size - 3,
      killbillAccounts: sim.killbill.accounts.size,
      latencyMsPerRequest: latencyMs,
      linked: {teams: linkedTeams, users: linkedUsers},
      peakRssMb: usage?.peakRssMb ?? null,
      scenario: `users create --pending: ${n} users + ${n} own teams, nothing linked`,
      targets: {callsPerUserAndTeam: 10, wallMs: 30_000},
      totalCalls: total,
      wallMs,
      writes,
      writesPerUserAndTeam: writes === undefined ? undefined : Math.round((writes / n) * 100) / 100,
    }
    console.log(JSON.stringify(out, null, 2))
    if (code !== 0) console.error(stderr.slice(-2000))
  } finally {
    await sim.stop()
    rmSync(dir, {force: true, recursive: true})
  }
}
