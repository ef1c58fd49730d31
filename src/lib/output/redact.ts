/**
 * Redaction of secrets in everything that leaves the process for a person or a log: log lines,
 * error messages and machine output. Two nets:
 *  1. by key: any object key that names a secret (password, token, api key, secret, authorization…)
 *     has its value replaced;
 *  2. by value: every secret the configuration loaded is registered here, and any string that
 *     contains one has it replaced — so a password echoed back inside a server's error body, or a
 *     token inside a URL, is masked too.
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
  // key=value and "key": "value" pairs whose key names a secret
  [
    /(["']?\b[\w-]*(password|passwd|secret|token|api[-_]?key|apisecret)["']?\s*[:=]\s*)(?!"?\*\*\*)("[^"]*"|'[^']*'|[^\s,&}]+)/gi,
    `$1"${MASK}"`,
  ],
]

const MIN_SECRET_LENGTH = 3

class SecretRegistry {
  private pattern: RegExp | undefined
  private readonly values = new Set<string>()

  add(value: unknown): void {
    if (typeof value !== 'string') return
    const v = value.trim()
    if (v.length < MIN_SECRET_LENGTH || this.values.has(v)) return
    this.values.add(v)
    // Longest first so that a secret containing another is masked whole.
    const sorted = [...this.values].sort((a, b) => b.length - a.length)
    this.pattern = new RegExp(sorted.map((s) => s.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)).join('|'), 'g')
  }

  clear(): void {
    this.values.clear()
    this.pattern = undefined
  }

  mask(text: string): string {
    if (this.pattern === undefined) return text
    this.pattern.lastIndex = 0
    return text.replace(this.pattern, MASK)
  }
}

const registry = new SecretRegistry()

/** Remember a secret value (a password, token, key) so that it is masked wherever it appears. */
export function registerSecret(value: unknown): void {
  registry.add(value)
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
