/**
 * Ending a run on SIGINT or SIGTERM. A command that holds a lock (or anything else worth undoing)
 * registers its clean-up for the time of the run; on the first signal it says so on stderr, runs the
 * clean-up (bounded by `graceMs`) and exits 128 + the signal's number (130, 143), so cron, systemd
 * and shells see that the run was stopped. A second signal exits at once. Work under way is
 * abandoned, not finished: every command here converges on its next run.
 */
import {constants} from 'node:os'

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const
export type StopSignal = (typeof STOP_SIGNALS)[number]

/** 130 for SIGINT, 143 for SIGTERM: the shell's convention for "ended by a signal". */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0)
}

export interface StopOnSignalsOptions {
  /** Undo what the run holds (release the lock, stop the spinner). */
  cleanup: () => Promise<unknown> | unknown
  /** How long the clean-up may take before the process exits anyway. */
  graceMs?: number
  /** Say why the run ends (stderr). */
  report: (message: string, fields: {exitCode: number; signal: StopSignal}) => void
  /** The command, for the message: `sync stopped by SIGTERM`. */
  what: string
  /** For tests: the process to listen on and to exit. */
  proc?: Pick<NodeJS.Process, 'exit' | 'off' | 'on'>
}

/** Until the returned function is called, SIGINT and SIGTERM end the run as described above. */
export function stopOnSignals(opts: StopOnSignalsOptions): () => void {
  const proc = opts.proc ?? process
  let stopping = false
  const onSignal = (signal: StopSignal) => {
    const exitCode = signalExitCode(signal)
    if (stopping) {
      proc.exit(exitCode)
      return
    }
    stopping = true
    opts.report(`${opts.what} stopped by ${signal}: work under way abandoned (the next run converges); exit ${exitCode}`, {exitCode, signal})
    const grace = new Promise((resolve) => {
      setTimeout(resolve, opts.graceMs ?? 5000)
    })
    void Promise.race([Promise.resolve().then(opts.cleanup).catch(() => undefined), grace]).finally(() => proc.exit(exitCode))
  }
  const handlers = STOP_SIGNALS.map((s) => [s, () => onSignal(s)] as const)
  for (const [s, h] of handlers) proc.on(s, h)
  return () => {
    for (const [s, h] of handlers) proc.off(s, h)
  }
}

/**
 * For resident commands (listen, serve), which finish their work before exiting: the first SIGINT
 * or SIGTERM resolves `stopped`; handlers stay on (`on`, not `once`) so a second signal while
 * draining does not kill the process mid-ack. `signalled()` tells whether one has come.
 */
export function awaitStopSignal(proc: Pick<NodeJS.Process, 'on'> = process): {signalled: () => NodeJS.Signals | undefined; stopped: Promise<NodeJS.Signals>} {
  let first: NodeJS.Signals | undefined
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      first ??= signal
      resolve(signal)
    }
    for (const s of STOP_SIGNALS) proc.on(s, on)
  })
  return {signalled: () => first, stopped}
}
