import {AppError} from '../errors.js'
import {redactText} from '../output/redact.js'

export type HttpFailureKind = 'deadline' | 'dry-run' | 'network' | 'status' | 'timeout' | 'tls'

/**
 * A request to an outside system failed. The message names the system, the request and what went
 * wrong (the server's own message when it sent one); URL and message are redacted.
 */
export class HttpError extends AppError {
  readonly body?: unknown
  readonly kind: HttpFailureKind
  readonly method: string
  /** The server's own error message, when its body carried one. */
  readonly serverMessage?: string
  readonly status?: number
  readonly system: string
  readonly url: string

  constructor(p: {
    body?: unknown
    cause?: unknown
    code?: string
    hint?: string
    kind: HttpFailureKind
    method: string
    problem: string
    serverMessage?: string
    status?: number
    system: string
    url: string
  }) {
    const url = redactUrl(p.url)
    const msg = redactText(`${p.system}: ${p.method.toUpperCase()} ${url} ${p.problem}${p.serverMessage ? `: ${p.serverMessage}` : ''}`)
    super(msg, {cause: p.cause, code: p.code ?? codeFor(p.kind, p.status), hint: p.hint})
    this.body = p.body
    this.kind = p.kind
    this.method = p.method.toUpperCase()
    this.serverMessage = p.serverMessage === undefined ? undefined : redactText(p.serverMessage)
    this.status = p.status
    this.system = p.system
    this.url = url
  }

  get isNotFound(): boolean {
    return this.status === 404
  }

  get isUnauthorized(): boolean {
    return this.status === 401
  }
}

function codeFor(kind: HttpFailureKind, status?: number): string {
  if (kind === 'status') return `E_HTTP_${status}`
  return `E_HTTP_${kind.toUpperCase().replace('-', '_')}`
}

/** Drop userinfo and mask secret-looking query parameters. */
export function redactUrl(url: string): string {
  return redactText(url.replace(/\/\/[^/@\s]+@/, '//'))
}

/**
 * Find the human message in an error body. OpenStack services, Concertim, the MRD and Kill Bill each
 * have their own shape; this knows them all (see reference/*.md).
 */
export function serverMessageOf(body: unknown): string | undefined {
  if (body === undefined || body === null || body === '') return undefined
  if (typeof body === 'string') {
    const text = body.trim()
    if (text.startsWith('<')) return stripHtml(text)
    return text.length > 300 ? `${text.slice(0, 300)}…` : text
  }
  if (typeof body !== 'object') return String(body)
  const b = body as Record<string, unknown>
  // {"error": {"message": ...}} (Keystone, Gnocchi) / {"error": "..."} (Concertim, Rails) / {"message": ...}
  if (typeof b.error === 'object' && b.error !== null) {
    const e = b.error as Record<string, unknown>
    if (typeof e.message === 'string') return e.message
    if (typeof e.description === 'string') return e.description
  }
  if (typeof b.error === 'string') return b.error
  if (typeof b.message === 'string') return b.message
  if (typeof b.description === 'string') return b.description
  // Gnocchi 400: {"description": {"cause": "Metrics not found", "detail": [...]}}
  if (b.description && typeof b.description === 'object') {
    const d = b.description as Record<string, unknown>
    if (typeof d.cause === 'string') return d.detail === undefined ? d.cause : `${d.cause}: ${JSON.stringify(d.detail)}`
  }
  // Nova: {"itemNotFound": {"code": 404, "message": "..."}}; Neutron: {"NeutronError": {"message": ...}}
  for (const v of Object.values(b)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, unknown>).message === 'string') {
      return (v as Record<string, unknown>).message as string
    }
  }
  // Concertim validation shapes: {"errors": ...} / {"attr": ["msg"]}
  if (b.errors !== undefined) return describeErrors(b.errors)
  const parts = Object.entries(b)
    .filter(([, v]) => Array.isArray(v))
    .map(([k, v]) => `${k} ${(v as unknown[]).map((x) => (typeof x === 'object' && x ? JSON.stringify(x) : String(x))).join(', ')}`)
  if (parts.length > 0) return parts.join('; ')
  return JSON.stringify(body).slice(0, 300)
}

function describeErrors(errors: unknown): string {
  if (typeof errors === 'string') return errors
  if (Array.isArray(errors)) {
    return errors
      // Concertim: {status,title,description}; the MRD (JSON:API style): {title,detail,source}.
      .map((e) => {
        if (!e || typeof e !== 'object') return String(e)
        const r = e as Record<string, unknown>
        return String(r.description ?? r.detail ?? r.title ?? JSON.stringify(e))
      })
      .join('; ')
  }
  if (errors && typeof errors === 'object') {
    return Object.entries(errors as Record<string, unknown>)
      .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`)
      .join('; ')
  }
  return String(errors)
}

function stripHtml(html: string): string {
  const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1]
  const text = (title ?? html.replaceAll(/<[^>]+>/g, ' ')).replaceAll(/\s+/g, ' ').trim()
  return text.slice(0, 200)
}
