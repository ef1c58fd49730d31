/**
 * Errors the Concertim clients raise on purpose, beyond the HTTP layer's `HttpError`.
 */
import {AppError} from '../errors.js'
import {HttpError} from '../http/errors.js'

/** Per-field messages, e.g. `{name: ["has already been taken"]}`; `base` holds object-wide messages. */
export type FieldMessages = Record<string, string[]>

/**
 * Concertim refused a write with 422. The shapes differ per endpoint (concertim-api.md §3.3,
 * §10 row 4); `fields` is the same in every case.
 */
export class ConcertimValidationError extends AppError {
  readonly fields: FieldMessages
  readonly method: string
  readonly url: string

  constructor(cause: HttpError, fields: FieldMessages) {
    const summary = describeFields(fields)
    super(`concertim: ${cause.method} ${cause.url} was refused: ${summary}`, {cause, code: 'E_CONCERTIM_INVALID'})
    this.fields = fields
    this.method = cause.method
    this.url = cause.url
  }
}

/** Logging in to Concertim failed: wrong credentials, or the URL is not a Concertim. */
export class ConcertimAuthError extends AppError {
  constructor(problem: string, opts: {cause?: unknown; hint?: string} = {}) {
    super(`concertim: login failed: ${problem}`, {
      cause: opts.cause,
      code: 'E_CONCERTIM_AUTH',
      hint: opts.hint ?? 'check concertim.concertim_username and concertim.concertim_password (or concertim_password_file)',
    })
  }
}

/**
 * Concertim answered 401 to a token it had just issued (the login that gave it succeeded, and one
 * more login after a pause fared no better): the credentials are right; Concertim's token checking
 * is what fails (its signing secret changed under it, a clock skew, a restart in progress).
 */
export class ConcertimTokenRefusedError extends HttpError {
  constructor(cause: HttpError) {
    super({
      body: cause.body,
      cause,
      code: 'E_CONCERTIM_TOKEN_REFUSED',
      hint: "the credentials were accepted (the login succeeded): check Concertim's clock and its logs (a restart or a changed JWT secret); the next run will try again",
      kind: 'status',
      method: cause.method,
      problem: 'failed with HTTP 401: Concertim refused a token it had just issued',
      serverMessage: cause.serverMessage,
      status: 401,
      system: cause.system,
      url: cause.url,
    })
  }
}

function describeFields(fields: FieldMessages): string {
  const parts = Object.entries(fields).map(([field, msgs]) => (field === 'base' ? msgs.join(', ') : `${field} ${msgs.join(', ')}`))
  return parts.length > 0 ? parts.join('; ') : 'no reason given'
}

/** Rails' default messages for the error symbols that `errors.details` carries (§3.3). */
const DETAIL_MESSAGES: Record<string, (d: Record<string, unknown>) => string> = {
  accepted: () => 'must be accepted',
  blank: () => "can't be blank",
  empty: () => "can't be empty",
  equal_to: (d) => `must be equal to ${String(d.count)}`,
  exclusion: () => 'is reserved',
  greater_than: (d) => `must be greater than ${String(d.count)}`,
  greater_than_or_equal_to: (d) => `must be greater than or equal to ${String(d.count)}`,
  in: (d) => `must be in ${String(d.count)}`,
  inclusion: () => 'is not included in the list',
  invalid: () => 'is invalid',
  less_than: (d) => `must be less than ${String(d.count)}`,
  less_than_or_equal_to: (d) => `must be less than or equal to ${String(d.count)}`,
  not_a_number: () => 'is not a number',
  not_an_integer: () => 'must be an integer',
  present: () => 'must be blank',
  required: () => 'must exist',
  taken: () => 'has already been taken',
  too_long: (d) => `is too long (maximum is ${String(d.count)} characters)`,
  too_short: (d) => `is too short (minimum is ${String(d.count)} characters)`,
}

function messageOf(item: unknown): string {
  if (typeof item === 'string') return item
  if (item && typeof item === 'object') {
    const r = item as Record<string, unknown>
    // errors.details form: {"error": "<symbol or custom message>", ...options}
    if (typeof r.error === 'string') return DETAIL_MESSAGES[r.error]?.(r) ?? r.error
    // JSON:API-ish form: {"status","title","description"}
    if (typeof r.description === 'string') return r.description
    if (typeof r.detail === 'string') return r.detail
    if (typeof r.title === 'string') return r.title
  }
  return JSON.stringify(item)
}

function fromAttrMap(map: Record<string, unknown>): FieldMessages {
  const out: FieldMessages = {}
  for (const [field, value] of Object.entries(map)) {
    out[field] = Array.isArray(value) ? value.map((v) => messageOf(v)) : [messageOf(value)]
  }
  return out
}

/**
 * The per-field messages of a Concertim 422 body, whatever its shape:
 * - `{"attr": ["msg"]}` (racks, templates, teams, users: `errors.as_json`);
 * - `{"errors": {"attr": ["msg"]}}` (device update);
 * - `{"attr": [{"error": "taken"}]}` (nodes create: `errors.details`, symbols turned into Rails' messages);
 * - `{"errors": "rack is not empty"}` (rack/template delete conflicts) → `base`;
 * - `{"errors": [{"status","title","description"}]}` (user/team delete conflicts) → `base`;
 * - `{}` (no cloud configuration) → no fields.
 */
export function fieldMessagesOf(body: unknown): FieldMessages {
  if (typeof body === 'string') return body.trim() === '' ? {} : {base: [body.trim()]}
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {}
  const b = body as Record<string, unknown>
  const keys = Object.keys(b)
  if (keys.length === 1 && keys[0] === 'errors') {
    const e = b.errors
    if (typeof e === 'string') return {base: [e]}
    if (Array.isArray(e)) return {base: e.map((x) => messageOf(x))}
    if (e && typeof e === 'object') return fromAttrMap(e as Record<string, unknown>)
    return {}
  }
  return fromAttrMap(b)
}

/** A 404 for a record the app does not have (`{"errors":{"record":["Not found"]}}`, §3.3), as opposed to a missing route. */
export function isRecordNotFound(error: unknown): boolean {
  if (!(error instanceof HttpError) || error.status !== 404) return false
  const body = error.body as {errors?: {record?: unknown}} | null | undefined
  return typeof body === 'object' && body !== null && typeof body.errors === 'object' && body.errors !== null && 'record' in body.errors
}
