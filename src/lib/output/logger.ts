import {pino, type DestinationStream, type Level, type Logger} from 'pino'

import {redact, redactText} from './redact.js'

export type LogLevel = Level | 'silent'
export type LogFormat = 'json' | 'text'
export type {Logger} from 'pino'

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

/**
 * Map a level name from any source (our flags, or the original service's `log_level: DEBUG`,
 * `WARNING`, `CRITICAL`) to a pino level; undefined when the name is not a level.
 */
export function normaliseLevel(name: string | undefined): LogLevel | undefined {
  if (name === undefined) return undefined
  const n = name.trim().toLowerCase()
  const aliases: Record<string, LogLevel> = {critical: 'fatal', notset: 'trace', warning: 'warn'}
  if (n in aliases) return aliases[n]
  return (LOG_LEVELS as readonly string[]).includes(n) ? (n as LogLevel) : undefined
}

/** Renders pino's JSON lines as one readable line each: `HH:MM:SS.mmm LEVEL msg key=value …`. */
export class TextLogStream implements DestinationStream {
  constructor(private readonly out: {write(s: string): unknown}) {}

  write(line: string): void {
    let rec: Record<string, unknown>
    try {
      rec = JSON.parse(line) as Record<string, unknown>
    } catch {
      this.out.write(line)
      return
    }
    const {level, msg, time, ...rest} = rec
    delete rest.pid
    delete rest.hostname
    const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : ''
    const label = String(pino.levels.labels[Number(level)] ?? level).toUpperCase().padEnd(5)
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ')
    this.out.write(`${when} ${label} ${msg ?? ''}${fields ? ' ' + fields : ''}\n`)
  }
}

export interface LoggerOptions {
  bindings?: Record<string, unknown>
  format?: LogFormat
  level?: LogLevel
  /** Where lines go; stderr by default (stdout is for data). */
  stream?: {write(s: string): unknown}
}

/**
 * The one logger factory. Every argument of every log call is redacted (by key and by registered
 * secret value) before pino serialises it, so no call site can leak a password or a token.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const out = opts.stream ?? process.stderr
  const destination: DestinationStream =
    opts.format === 'text' ? new TextLogStream(out) : {write: (s: string) => out.write(s)}
  return pino(
    {
      base: opts.bindings ?? {},
      hooks: {
        logMethod(args, method) {
          const clean = args.map((a) => (typeof a === 'string' ? redactText(a) : redact(a))) as Parameters<typeof method>
          return method.apply(this, clean)
        },
      },
      level: opts.level ?? 'info',
      serializers: {err: (e: unknown) => redact(serializeError(e))},
    },
    destination,
  )
}

function serializeError(e: unknown): unknown {
  if (!(e instanceof Error)) return e
  const out: Record<string, unknown> = {message: e.message, type: e.name}
  for (const [k, v] of Object.entries(e)) if (k !== 'cause' && k !== 'config' && k !== 'request') out[k] = v
  if (e.cause !== undefined) out.cause = serializeError(e.cause)
  return out
}

/** A logger that drops everything (library defaults and tests). */
export const silentLogger: Logger = pino({level: 'silent'})
