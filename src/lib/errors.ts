import {ExitCode, type ExitCodeValue} from './exit-codes.js'

/**
 * Base of every error this tool raises on purpose. It carries the exit code the command ends with,
 * a stable machine-readable `code` and, where one helps, a hint that says how to fix it.
 * Messages never contain secrets: they are built from redacted values only.
 */
export class AppError extends Error {
  readonly code: string
  readonly exitCode: ExitCodeValue
  readonly hint?: string

  constructor(message: string, opts: {cause?: unknown; code?: string; exitCode?: ExitCodeValue; hint?: string} = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = new.target.name
    this.code = opts.code ?? 'E_FAILURE'
    this.exitCode = opts.exitCode ?? ExitCode.FAILURE
    this.hint = opts.hint
  }
}

/**
 * The configuration file, an environment override or a flag is wrong. Exit 2. The example is the
 * hint (printed once, as "Try this"), not part of the message; `variable` names the environment
 * variable the wrong value came from.
 */
export class ConfigError extends AppError {
  readonly example?: string
  readonly path: string
  readonly problem: string
  readonly variable?: string

  constructor(path: string, problem: string, example?: string, opts: {variable?: string} = {}) {
    super(`${configWhere(path, opts.variable)}: ${problem}`, {
      code: 'E_CONFIG',
      exitCode: ExitCode.USAGE,
      hint: example ? `for example: ${example}` : undefined,
    })
    this.example = example
    this.path = path
    this.problem = problem
    this.variable = opts.variable
  }
}

/** "configuration key 'http.timeout_ms' (set by the environment variable CONCERTIM_OS_HTTP_TIMEOUT_MS)". */
export function configWhere(path: string, variable?: string): string {
  const where = path === '' ? 'configuration' : `configuration key '${path}'`
  return variable === undefined ? where : `${where} (set by the environment variable ${variable})`
}

/** Another run holds the lock. Exit 75. */
export class LockedError extends AppError {
  constructor(what: string, lockPath: string) {
    super(`another '${what}' is running (lock ${lockPath} is held); this run did nothing`, {
      code: 'E_LOCKED',
      exitCode: ExitCode.LOCKED,
      hint: 'wait for the other run to finish; overlapping cron runs are expected and harmless',
    })
  }
}
