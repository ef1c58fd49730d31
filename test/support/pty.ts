/**
 * Run the real CLI on a pseudo-terminal of a given size, through util-linux `script` (the way
 * `ssh -tt` or `docker exec -t` run it): `ptyAvailable()` says whether this machine can.
 */
import {execFileSync, spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface PtyRun {
  code: number | null
  /** Everything the terminal received (stdout and stderr together), capped at `maxBytes`. */
  output: string
  /** Bytes the terminal received in all. */
  bytes: number
  signal: NodeJS.Signals | null
  timedOut: boolean
}

export interface PtyCli {
  /** The pid of the CLI itself (the child of `script`), once it is known. */
  pid(): Promise<number>
  output(): string
  done: Promise<PtyRun>
}

export function ptyAvailable(): boolean {
  try {
    execFileSync('script', ['-qfc', 'stty size', '/dev/null'], {stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000})
    return true
  } catch {
    return false
  }
}

const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`

/** `bin/dev.js ARGS` on a terminal `cols` columns wide; killed (SIGKILL) after `timeoutMs`. */
export function startCliInPty(args: string[], opts: {cols: number; env?: NodeJS.ProcessEnv; maxBytes?: number; timeoutMs?: number}): PtyCli {
  const env: NodeJS.ProcessEnv = {...process.env, TERM: 'xterm', ...opts.env}
  delete env.NO_COLOR
  for (const k of Object.keys(env)) if (k.startsWith('CONCERTIM_OS_') && !(opts.env && k in opts.env)) delete env[k]
  const command = `stty cols ${opts.cols} rows 24; exec ${[process.execPath, '--import', 'tsx', 'bin/dev.js', ...args].map(quote).join(' ')}`
  const child = spawn('script', ['-qfec', command, '/dev/null'], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
  const maxBytes = opts.maxBytes ?? 1_000_000
  let output = ''
  let bytes = 0
  const take = (d: Buffer) => {
    bytes += d.length
    if (output.length < maxBytes) output += d.toString()
  }
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    void pidOf(child.pid ?? 0).then((pid) => process.kill(pid, 'SIGKILL')).catch(() => undefined)
    child.kill('SIGKILL')
  }, opts.timeoutMs ?? 60_000)
  const done = new Promise<PtyRun>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({bytes, code, output, signal, timedOut})
    })
  })
  return {done, output: () => output, pid: async () => pidOf(child.pid ?? 0)}
}

/** The only child of `parent` (the shell `script` starts, which execs the CLI). */
async function pidOf(parent: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    try {
      const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(parent)], {encoding: 'utf8'}).trim()
      if (out !== '') return Number(out.split('\n')[0])
    } catch {
      // no child yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`no child process of ${parent}`)
}
