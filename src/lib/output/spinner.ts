/**
 * The progress spinner of long commands, on stderr. Only where it can be drawn: a terminal (not a
 * pipe, not TERM=dumb) at least MIN_COLUMNS wide. A terminal that reports 0 columns (`ssh -tt`,
 * `docker exec -t`, some CI runners) made ora divide by zero and redraw for ever: 100 % CPU,
 * megabytes of escape codes, signals never handled. If the terminal shrinks below the minimum while
 * the spinner runs, the spinner stops.
 */
import type {Ora} from 'ora'

export const MIN_COLUMNS = 20

export interface Progress {
  /** Show `text` (ignored once stopped). */
  update(text: string): void
  fail(): void
  stop(): void
}

/** Whether a spinner can be drawn on `stream`. */
export function canSpin(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!stream.isTTY || env.TERM === 'dumb') return false
  const {columns} = stream
  return typeof columns === 'number' && Number.isFinite(columns) && columns >= MIN_COLUMNS
}

/** A spinner on `stream` when one can be drawn there, else undefined (ora is loaded only then). */
export async function startSpinner(text: string, stream: NodeJS.WriteStream = process.stderr): Promise<Progress | undefined> {
  if (!canSpin(stream)) return undefined
  const {default: ora} = await import('ora')
  let spinner: Ora | undefined = ora({stream, text}).start()
  const end = (how: 'fail' | 'stop') => {
    stream.off('resize', onResize)
    if (spinner === undefined) return
    const s = spinner
    spinner = undefined
    if (how === 'fail' && canSpin(stream)) s.fail()
    else s.stop()
  }
  const onResize = () => {
    if (!canSpin(stream)) end('stop')
  }
  stream.on('resize', onResize)
  return {
    fail: () => end('fail'),
    stop: () => end('stop'),
    update(t) {
      if (spinner !== undefined && canSpin(stream)) spinner.text = t
    },
  }
}
