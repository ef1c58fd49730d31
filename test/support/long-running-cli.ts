/** Run the real CLI as a long-running child: wait for a line of its output, signal it, collect its exit. */
import {type ChildProcessByStdio, spawn} from 'node:child_process'
import type {Readable} from 'node:stream'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface RunningCli {
  /** Resolve with stdout so far once `test` holds (rejects if the process ends first or after `timeoutMs`). */
  waitFor(test: (stdout: string) => boolean, timeoutMs?: number): Promise<string>
  /** Send a signal and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string}>
  readonly child: ChildProcessByStdio<null, Readable, Readable>
  stderr(): string
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const merged: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', ...env}
  for (const k of Object.keys(merged)) if (k.startsWith('CONCERTIM_OS_') && !(k in env)) delete merged[k]
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.js', ...args], {cwd: ROOT, env: merged, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
    child.on('close', (code, signal) => resolve({code, signal}))
  })
  return {
    child,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      const r = await exited
      clearTimeout(timer)
      return {...r, stderr, stdout}
    },
    async waitFor(test, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      while (!test(stdout)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the CLI ended (${child.exitCode ?? child.signalCode}) before it was ready:\n${stdout}\n${stderr}`)
        if (Date.now() > deadline) throw new Error(`the CLI was not ready within ${timeoutMs} ms:\n${stdout}\n${stderr}`)
         
        await new Promise((r) => setTimeout(r, 100))
      }
      return stdout
    },
  }
}
