/** Run the real CLI in a child process (real exit codes, real stdout/stderr). */
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  stdout: string
}

/**
 * `built`: run the built `bin/run.js` (as installed; `npm run build` first) rather than the sources
 * through `bin/dev.js`, whose development mode prints stacks instead of the errors people see.
 */
export async function runCli(args: string[], opts: {built?: boolean; env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number} = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...opts.env}
  for (const k of Object.keys(env)) if (k.startsWith('CONCERTIM_OS_') && !(opts.env && k in opts.env)) delete env[k]
  return new Promise((resolve, reject) => {
    const entry = opts.built ? ['bin/run.js'] : ['--import', 'tsx', 'bin/dev.js']
    const child = spawn(process.execPath, [...entry, ...args], {cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe']})
    // Standard input: what the test pipes in, else nothing (end of file at once, as /dev/null).
    child.stdin.on('error', () => undefined) // a child that exits before reading: EPIPE is no failure of the test
    child.stdin.end(opts.stdin ?? '')
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr, stdout})
    })
  })
}
