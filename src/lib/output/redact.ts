/**
 * Redaction of secrets in everything that leaves the process for a person or a log: log lines,
 * error messages and machine output. Two nets:
 *  1. by key: any object key that names a secret (password, token, api key, secret, authorization…)
 *     has its value replaced;
 *  2. by value: every secret the configuration loaded is registered here, and any string that
 *     contains one as a whole token (not inside a longer word or identifier) has it replaced — so a
 *     password echoed back inside a server's error body, or a token inside a URL, is masked too.
 *     A value that is itself a word naming a secret (`password`, `token`, a key name such as
 *     `rmq_password`) is never registered: masking it would blank out the words of every message
 *     ("Invalid Login or ***.") and hide nothing. Session secrets (a Keystone token, a Concertim JWT) are
 *     registered while they are live: until they expire or their holder replaces them, and at most
 *     `MAX_SESSION_SECRETS` of them (the oldest go first), so that a long-running `listen` or
 *     `serve` neither keeps every token it was ever issued nor matches text against all of them.
 */

export const MASK = '***'

const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|authorization|cookie|credential|jwt|private[-_]?key)$/i
const SECRET_KEY_EXCEPTIONS = /^(token_expires_at|expires_at|password_file|.*_file|token_ttl.*)$/i

/** Patterns for secrets that are recognisable by their shape rather than by a registered value. */
const SHAPES: [RegExp, string][] = [
  // Authorization: Bearer xxx / Basic xxx
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g, `$1 ${MASK}`],
  // userinfo in URLs: scheme://user:pass@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@/\s]+@/gi, `$1:${MASK}@`],
  // X-Auth-Token / X-Subject-Token / X-Killbill-ApiSecret headers rendered as text
  [/\b(X-(Auth|Subject)-Token|X-Killbill-Api(Key|Secret))(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, `$1$4${MASK}`],
  // key=value and "key": "value" pairs whose key names a secret (not a file name such as
  // `nope.password: ENOENT`: the key starts after a space, quote, bracket or separator)
  [
    /(?<![\w./\\-])(["']?\b[\w-]*(password|passwd|secret|token|api[-_]?key|apisecret)["']?\s*[:=]\s*)(?!"?\*\*\*)("[^"]*"|'[^']*'|[^\s,&}]+)/gi,
    `$1"${MASK}"`,
  ],
]

const MIN_SECRET_LENGTH = 3
/**
 * Words that name a secret, and the configuration's secret key names: never taken for a secret's
 * value (a configured password that is literally `password` would otherwise mask the word itself).
 */
const SECRET_WORDS = new Set([
  'admin_user_password',
  'api-key',
  'api_key',
  'api_secret',
  'apikey',
  'apisecret',
  'authorization',
  'concertim_password',
  'credential',
  'credentials',
  'jwt',
  'pass',
  'passwd',
  'password',
  'rmq_password',
  'secret',
  'token',
])
/** A registered value is masked only as a whole token: not where a letter, digit or `_` touches it. */
const TOKEN_START = '(?<![A-Za-z0-9_])'
const TOKEN_END = '(?![A-Za-z0-9_])'
/** Session secrets kept at most; past that the oldest registered is dropped. */
export const MAX_SESSION_SECRETS = 64

/** When a session secret stops being live, and the one its holder had before (dropped now). */
export interface SessionSecretOptions {
  /** When it expires (ms since the epoch, a Date, or an ISO time); never, when absent or invalid. */
  expiresAt?: Date | number | string
  /** The secret it replaces (the holder's previous token): no longer masked. */
  replaces?: string
}

class SecretRegistry {
  /** The configuration's secrets: for as long as the process runs. */
  private readonly lasting = new Set<string>()
  /** When the next session secret expires (ms): the pattern is built again then. */
  private nextExpiry = Number.POSITIVE_INFINITY
  private pattern: RegExp | undefined
  /** Values the output shows anyway (the configuration's names): never masked, see `declarePublic`. */
  private readonly shown = new Set<string>()
  /** Session secrets, oldest first, and when each expires (ms; +Infinity: when replaced). */
  private readonly sessions = new Map<string, number>()
  /** The pattern no longer matches the secrets: built again at the next `mask` (not per registration). */
  private stale = false

  add(value: unknown): void {
    const v = secretOf(value)
    if (v === undefined || this.lasting.has(v)) return
    this.lasting.add(v)
    this.sessions.delete(v)
    this.stale = true
  }

  addSession(value: unknown, opts: SessionSecretOptions): void {
    const replaced = secretOf(opts.replaces)
    if (replaced !== undefined && replaced !== secretOf(value) && this.sessions.delete(replaced)) this.stale = true
    const v = secretOf(value)
    if (v === undefined || this.lasting.has(v)) return
    const expiresAt = opts.expiresAt instanceof Date ? opts.expiresAt.getTime() : typeof opts.expiresAt === 'string' ? Date.parse(opts.expiresAt) : (opts.expiresAt ?? Number.NaN)
    this.sessions.delete(v)
    this.sessions.set(v, Number.isNaN(expiresAt) ? Number.POSITIVE_INFINITY : expiresAt)
    for (const oldest of this.sessions.keys()) {
      if (this.sessions.size <= MAX_SESSION_SECRETS) break
      this.sessions.delete(oldest)
    }
    this.stale = true
  }

  clear(): void {
    this.lasting.clear()
    this.sessions.clear()
    this.shown.clear()
    this.pattern = undefined
    this.nextExpiry = Number.POSITIVE_INFINITY
    this.stale = false
  }

  mask(text: string): string {
    if (this.stale || Date.now() >= this.nextExpiry) this.rebuild()
    if (this.pattern === undefined) return text
    this.pattern.lastIndex = 0
    return text.replace(this.pattern, MASK)
  }

  /** Secrets masked now (tests). */
  size(): number {
    if (this.stale || Date.now() >= this.nextExpiry) this.rebuild()
    return [...this.lasting, ...this.sessions.keys()].filter((v) => !this.shown.has(v)).length
  }

  show(value: unknown): void {
    const v = secretOf(value)
    if (v === undefined || this.shown.has(v)) return
    this.shown.add(v)
    this.stale = true
  }

  /** Drop the expired session secrets and build the pattern of the others. */
  private rebuild(): void {
    const now = Date.now()
    this.nextExpiry = Number.POSITIVE_INFINITY
    for (const [v, expiresAt] of this.sessions) {
      if (expiresAt <= now) this.sessions.delete(v)
      else this.nextExpiry = Math.min(this.nextExpiry, expiresAt)
    }
    // Longest first so that a secret containing another is masked whole.
    const sorted = [...this.lasting, ...this.sessions.keys()].filter((v) => !this.shown.has(v)).sort((a, b) => b.length - a.length)
    this.pattern = sorted.length === 0 ? undefined : new RegExp(`${TOKEN_START}(?:${sorted.map((s) => s.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)).join('|')})${TOKEN_END}`, 'g')
    this.stale = false
  }
}

function secretOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const v = value.trim()
  return v.length < MIN_SECRET_LENGTH || SECRET_WORDS.has(v.toLowerCase()) ? undefined : v
}

const registry = new SecretRegistry()

/**
 * A value the output shows anyway — a user, project, domain or other name of the configuration —
 * is never masked, even when a secret has the same value (the minicloud's `admin` / `admin`):
 * masking it would hide nothing the output does not print elsewhere, and blank that word out of
 * every message ("role *** in project ***"). The configuration warns about such a secret.
 */
export function declarePublic(value: unknown): void {
  registry.show(value)
}

/** Remember a secret value (a password, key) so that it is masked wherever it appears, for as long as the process runs. */
export function registerSecret(value: unknown): void {
  registry.add(value)
}

/**
 * Remember a session secret (a token) while it is live: until `expiresAt`, or until its holder
 * registers the one that `replaces` it; at most `MAX_SESSION_SECRETS` are kept, the oldest dropped first.
 */
export function registerSessionSecret(value: unknown, opts: SessionSecretOptions = {}): void {
  registry.addSession(value, opts)
}

/** How many secrets are masked now (tests, diagnostics). */
export function secretCount(): number {
  return registry.size()
}

/** Forget every registered secret (tests). */
export function clearSecrets(): void {
  registry.clear()
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !SECRET_KEY_EXCEPTIONS.test(key)
}

/** Mask secrets in free text. */
export function redactText(text: string): string {
  let out = registry.mask(text)
  for (const [re, replacement] of SHAPES) out = out.replace(re, replacement)
  return out
}

/** A deep copy of `value` with secrets masked by key and by value. Cycles are cut. */
export function redact<T>(value: T): T {
  return redactInner(value, new WeakSet()) as T
}

function redactInner(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value)
  if (value === null || typeof value !== 'object') return value
  if (seen.has(value)) return '[Circular]'
  seen.add(value)
  if (Array.isArray(value)) return value.map((v) => redactInner(v, seen))
  if (value instanceof Error) {
    const out: Record<string, unknown> = {message: redactText(value.message), name: value.name}
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? MASK : redactInner(v, seen)
    return out
  }
  if (value instanceof Date) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== '' ? MASK : redactInner(v, seen)
  }
  return out
}
