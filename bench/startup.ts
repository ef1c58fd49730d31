/**
 * Start-up cost of the built CLI, printed as JSON: the CPU time (user + system of the process, read
 * by a preload at its exit) and peak RSS (median) of `--version` and of every help page — `--help`,
 * `-h`, `help`, each command's `--help`, each topic's, `help sync` — against bare `node -e 0`,
 * median of --runs (5) runs each, run one after another. Needs `npm run build` (bin/run.js and its
 * manifest). Run: npm run bench -- startup [--runs 5]
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {isCurrent} from '../src/lib/cli/manifest.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PRELOAD = './bench/cpu-at-exit.mjs'

/** node -e 0, --version, then every help page: the root's, each command's and topic's, and `help sync`. */
function cases(): {args: string[]; name: string}[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>}
  const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {oclif: {topics?: Record<string, unknown>}}
  const pages = [...Object.keys(manifest.commands).sort(), ...Object.keys(pjson.oclif.topics ?? {}).sort()].map((id) => [...id.split(':'), '--help'])
  const cli = [['--version'], ['--help'], ['-h'], ['help'], ...pages, ['help', 'sync']]
  return [{args: ['-e', '0'], name: 'node -e 0'}, ...cli.map((args) => ({args: ['bin/run.js', ...args], name: args.join(' ')}))]
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** CPU ms and peak RSS (MiB) of one run of `node <args>`. */
function cpuMsOf(args: string[], file: string): {cpuMs: number; peakRssMb: number} {
  rmSync(file, {force: true})
  const r = spawnSync(process.execPath, ['--import', PRELOAD, ...args], {cwd: ROOT, env: {...process.env, BENCH_CPU_FILE: file, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`)
  const [cpuUs, rssKb] = readFileSync(file, 'utf8').trim().split(' ').map(Number)
  return {cpuMs: cpuUs / 1000, peakRssMb: rssKb / 1024}
}

export async function run(argv: string[]): Promise<void> {
  const i = argv.indexOf('--runs')
  const runs = i === -1 ? 5 : Number(argv[i + 1])
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs N: a whole number of runs, at least 1')
  if (!existsSync(join(ROOT, 'dist', 'commands'))) throw new Error('build first: npm run build')
  const dir = mkdtempSync(join(tmpdir(), 'cos-bench-startup-'))
  try {
    const results = cases().map((c) => {
      const measured = Array.from({length: runs}, () => cpuMsOf(c.args, join(dir, 'cpu')))
      const ms = measured.map((m) => m.cpuMs)
      return {cpuMs: {max: Math.max(...ms), median: median(ms), min: Math.min(...ms)}, name: c.name, peakRssMb: Math.round(median(measured.map((m) => m.peakRssMb)))}
    })
    const base = results[0].cpuMs.median
    const out = {
      manifest: isCurrent(ROOT) ? 'current' : 'absent or stale (npm run build)',
      node: process.version,
      runs,
      cases: results.map((r) => ({...r, cpuMs: {max: Math.round(r.cpuMs.max), median: Math.round(r.cpuMs.median), min: Math.round(r.cpuMs.min)}, timesNode: Math.round((r.cpuMs.median / base) * 100) / 100})),
      target: 'each at most 3x node -e 0',
      worstTimesNode: Math.round((Math.max(...results.slice(1).map((r) => r.cpuMs.median)) / base) * 100) / 100,
    }
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`)
  } finally {
    rmSync(dir, {force: true, recursive: true})
  }
}
