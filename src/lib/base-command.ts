/**
 * The base of every concertim-os command: the common flags (`--config`, `--log-level`,
 * `--log-format`, `--json`), the logger (stderr, redacted), lazy configuration loading, the HTTP
 * context every client is built from, and the mapping of failures to the exit codes of DESIGN §6 —
 * under `--json` too (oclif 4 would otherwise always exit 1 there).
 */
import {Command, Errors, Flags, type Interfaces} from '@oclif/core'
import chalk from 'chalk'

import {type Config, loadConfig, type LoadedConfig} from './config/index.js'
import {AppError} from './errors.js'
import {ExitCode, type ExitCodeValue} from './exit-codes.js'
import {CallLedger} from './http/calls.js'
import type {HttpContext} from './http/index.js'
import {colourLevel} from './output/colour.js'
import {createLogger, LOG_LEVELS, type Logger, type LogLevel, normaliseLevel} from './output/logger.js'
import {redactText} from './output/redact.js'
import {stopOnSignals} from './signals.js'
import {closest} from './suggest.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** The shape of every error under `--json` (stdout), stable for scripts. */
export interface JsonError {
  error: {code: string; exitCode: number; hint?: string; message: string}
}

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    config: Flags.string({
      description: 'Configuration file [default: /etc/concertim-openstack-service/config.yaml].',
      env: 'CONCERTIM_OS_CONFIG',
      helpGroup: 'GLOBAL',
    }),
    'log-format': Flags.option({
      default: 'text' as const,
      description: 'Log line format on stderr.',
      env: 'CONCERTIM_OS_LOG_FORMAT',
      helpGroup: 'GLOBAL',
      options: ['text', 'json'] as const,
    })(),
    'log-level': Flags.option({
      description: 'Log level on stderr [default: the config file\'s log_level, else info].',
      env: 'CONCERTIM_OS_LOG_LEVEL',
      helpGroup: 'GLOBAL',
      options: LOG_LEVELS,
    })(),
  }

  static override enableJsonFlag = true

  protected args!: BaseArgs<T>
  protected flags!: BaseFlags<T>
  protected logger!: Logger
  private loaded?: LoadedConfig

  /** Calls made to outside systems by this command, for reports and `--json`. */
  protected readonly ledger = new CallLedger()

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    const exit = exitCodeOf(err)
    process.exitCode = exit
    this.suggestFlags(err)
    if (err instanceof Errors.ExitError) throw err
    if (this.logger && !(err instanceof AppError) && !isParseError(err)) {
      this.logger.debug({err}, 'unexpected error')
    }
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(err))
      return
    }
    // --log-format json: stderr is JSON to the last line, the fatal error included.
    if (this.logger !== undefined && this.flags?.['log-format'] === 'json' && !isParseError(err)) {
      const e = this.toErrorJson(err).error
      this.logger.fatal({code: e.code, exitCode: e.exitCode, ...(e.hint === undefined ? {} : {hint: e.hint})}, e.message)
      this.exit(exit)
    }
    const hint = err instanceof AppError ? err.hint : undefined
    if (isParseError(err)) throw err
    throw new Errors.CLIError(redactText(err.message), {code: (err as {code?: string}).code, exit, suggestions: hint ? [hint] : undefined})
  }

  /**
   * `--json` output. oclif colours JSON token by token even when no colour is shown, which took
   * about a second for a large answer (`metrics push --json` on 10,000 servers): the same JSON is
   * written as it is unless a terminal shows it.
   */
  override logJson(json: unknown): void {
    if (process.stdout.isTTY) {
      super.logJson(json)
      return
    }
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  /** The validated configuration (loaded on first use; a bad file ends the command with exit 2). */
  protected appConfig(): Config {
    if (this.loaded === undefined) {
      this.loaded = loadConfig({path: this.flags.config})
      for (const w of this.loaded.warnings) this.logger.warn(w)
      if (this.flags['log-level'] === undefined) {
        this.logger.level = normaliseLevel(this.loaded.config.log_level) ?? 'info'
      }
      this.logger.debug({path: this.loaded.path}, 'configuration loaded')
    }
    return this.loaded.config
  }

  /**
   * Until the returned function is called, SIGINT/SIGTERM end this command: the reason on stderr,
   * `cleanup` (release the lock…), exit 130/143.
   */
  protected exitOnSignals(cleanup: () => Promise<unknown> | unknown): () => void {
    return stopOnSignals({cleanup, report: (message, fields) => this.logger.error(fields, message), what: (this.id ?? this.config.bin).replaceAll(':', ' ')})
  }

  /** A runtime failure with an exit code (oclif's `this.error` defaults to 2, which means usage). */
  protected fail(message: string, exit: ExitCodeValue = ExitCode.FAILURE, hint?: string): never {
    // An AppError, so that --json shows the hint and the code (E_USAGE for exit 2) as for any other.
    throw new AppError(redactText(message), {code: exit === ExitCode.USAGE ? 'E_USAGE' : 'E_FAILURE', exitCode: exit, hint})
  }

  /** What every client needs from the HTTP layer: settings from config, the shared ledger and logger. */
  protected httpContext(opts: {dryRun?: boolean} = {}, config?: Config): HttpContext {
    const {http} = config ?? this.appConfig()
    return {
      dryRun: opts.dryRun,
      ledger: this.ledger,
      logger: this.logger,
      settings: {
        deadlineMs: http.deadline_ms,
        maxInFlightPerHost: http.max_in_flight_per_host,
        maxRetryDelayMs: http.max_retry_delay_ms,
        retries: http.retries,
        retryBaseMs: http.retry_base_ms,
        timeoutMs: http.timeout_ms,
      },
    }
  }

  public override async init(): Promise<void> {
    await super.init()
    chalk.level = colourLevel(process.env, process.stdout.isTTY === true, chalk.level)
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
    this.logger = createLogger({
      bindings: {cmd: this.id},
      format: this.flags['log-format'],
      level: (this.flags['log-level'] as LogLevel | undefined) ?? 'info',
    })
    this.checkFlags()
  }

  /**
   * Checks of this command's flags that the parser cannot make (a combination, a format), run before
   * anything else — in particular before the configuration is read — so a mistyped command line is
   * reported as such (exit 2) whatever the state of the configuration. Throw with `this.fail(…, ExitCode.USAGE)`.
   */
  protected checkFlags(): void {}

  /** "Nonexistent flag: --dry-rn" → "… (did you mean --dry-run?)". */
  private suggestFlags(err: Error): void {
    const unknown = (err as {flags?: unknown}).flags
    if (!isParseError(err) || !Array.isArray(unknown)) return
    const known = Object.entries({...this.ctor.baseFlags, ...this.ctor.flags, ...(this.ctor.enableJsonFlag ? {json: {}} : {})}).flatMap(([name, f]) => [`--${name}`, ...((f as {char?: string}).char ? [`-${(f as {char: string}).char}`] : [])])
    for (const flag of unknown) {
      if (typeof flag !== 'string') continue
      const best = closest(flag.split('=')[0], known)
      if (best !== undefined) err.message = err.message.replace(flag, `${flag} (did you mean ${best}?)`)
    }
  }

  protected override toErrorJson(err: unknown): JsonError {
    const e = err as Error & {code?: string}
    return {
      error: {
        code: typeof e.code === 'string' ? e.code : isParseError(e) ? 'E_USAGE' : 'E_FAILURE',
        exitCode: exitCodeOf(e),
        hint: e instanceof AppError ? e.hint : undefined,
        message: redactText(e.message ?? String(err)),
      },
    }
  }
}

function isParseError(err: unknown): boolean {
  return err instanceof Errors.CLIError && (err as {parse?: unknown}).parse !== undefined
}

/** The exit code an error ends the command with. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof AppError) return err.exitCode
  const e = err as {exitCode?: unknown; oclif?: {exit?: unknown}}
  if (typeof e?.oclif?.exit === 'number') return e.oclif.exit
  if (typeof e?.exitCode === 'number') return e.exitCode
  return ExitCode.FAILURE
}
