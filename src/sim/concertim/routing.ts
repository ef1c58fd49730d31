/**
 * How `/api/v1` routes are declared: every route also answers with a `.json` suffix, requires an
 * authenticated user (`authenticate_user!`), and maps uncaught errors to the app's 500 shape.
 * Strong-parameter helpers (`params.require`, permitted keys, Rails boolean casting) live here too.
 */
import type {SimApp, SimReply, SimRequest} from '../http-app.js'
import type {Abilities} from './abilities.js'
import {internalError, paramMissing} from './responses.js'
import {isObject, type Sessions} from './sessions.js'
import type {ConcertimState, JsonObject, UserRecord} from './state.js'

export interface ApiContext {
  abilities: Abilities
  app: SimApp
  sessions: Sessions
  state: ConcertimState
}

export type ApiHandler = (r: SimRequest, user: UserRecord) => Promise<SimReply> | SimReply

/** An error the app does not rescue specifically: answered as a 500 with its class name. */
export class UncaughtError extends Error {
  constructor(
    readonly className: string,
    message: string,
  ) {
    super(message)
  }
}

/** Register an authenticated route under `pattern` and `pattern.json`. */
export function apiRoute(ctx: ApiContext, method: string | string[], pattern: string, handler: ApiHandler): void {
  const run = async (r: SimRequest): Promise<SimReply> => {
    const auth = ctx.sessions.authenticate(r)
    if (auth.reply) return auth.reply
    for (const [k, v] of Object.entries(r.params)) if (v.endsWith('.json')) r.params[k] = v.slice(0, -5)
    try {
      return await handler(r, auth.user)
    } catch (error) {
      if (error instanceof UncaughtError) return internalError(error.className, error.message)
      if (error instanceof Error) return internalError(error.name, error.message)
      throw error
    }
  }
  ctx.app.route(method, pattern, run)
  if (!pattern.split('/').at(-1)?.startsWith(':')) ctx.app.route(method, `${pattern}.json`, run)
}

/** `params.require(key)`: the resource hash, or the 400 reply when missing or blank. */
export function requireParams(r: SimRequest, key: string): {params: JsonObject; reply?: undefined} | {params?: undefined; reply: SimReply} {
  const body = isObject(r.body) ? r.body : {}
  const value = body[key]
  if (!isObject(value) || Object.keys(value).length === 0) {
    // An empty hash counts as missing only for `require`; `fetch` (racks#create) accepts it.
    return {reply: paramMissing(key)}
  }
  return {params: value}
}

/** `params.fetch(key)`: missing key → 400, present but empty hash accepted. */
export function fetchParams(r: SimRequest, key: string): {params: JsonObject; reply?: undefined} | {params?: undefined; reply: SimReply} {
  const body = isObject(r.body) ? r.body : {}
  const value = body[key]
  if (value === undefined || value === null || value === '') return {reply: paramMissing(key)}
  return {params: isObject(value) ? value : {}}
}

/** Keep only the permitted scalar keys (strong parameters drop the others silently). */
export function permit(params: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {}
  for (const k of keys) {
    if (!(k in params)) continue
    const v = params[k]
    if (v === null || ['boolean', 'number', 'string'].includes(typeof v)) out[k] = v
  }
  return out
}

/** A permitted `key: {}`: any hash is kept, anything else is dropped. */
export function permitHash(params: JsonObject, key: string): JsonObject | undefined {
  const v = params[key]
  return isObject(v) ? v : undefined
}

const FALSE_VALUES = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False', 'off', 'OFF', 'Off'])

/** ActiveModel::Type::Boolean with the app's extra `False` (reference §3.1). */
export function castBoolean(v: unknown): boolean | null {
  if (v === null || v === undefined || v === '') return null
  if (v === false || v === 0) return false
  if (typeof v === 'string' && FALSE_VALUES.has(v)) return false
  return true
}

/** `?recurse=…` cast as a boolean. */
export function recurse(r: SimRequest): boolean {
  return castBoolean(r.query.get('recurse')) === true
}

/** Rails' string cast of a permitted scalar (numbers become their `to_s`). */
export function castString(v: unknown): string | null {
  if (v === null || v === undefined) return null
  return typeof v === 'string' ? v : String(v)
}
