/**
 * The app's response shapes that are not per-model (reference/concertim-api.md §3.3), and Rails'
 * request format negotiation, which decides between JSON answers and redirects.
 */
import type {SimReply, SimRequest} from '../http-app.js'

export const ok = (body: unknown): SimReply => ({body, status: 200})

/** 200 `{}`: every successful delete. */
export const deleted = (): SimReply => ({body: {}, status: 200})

/** No route, or a route without an action: Rails' public 404 in JSON. */
export const routeNotFound = (): SimReply => ({body: {error: 'Not Found', status: 404}, status: 404})

/** ActiveRecord::RecordNotFound in a JSON request; a 406 (UnknownFormat) otherwise. */
export function recordNotFound(r: SimRequest): SimReply {
  if (!isJsonFormat(r)) return {status: 406, text: ''}
  return {body: {errors: {record: ['Not found']}}, status: 404}
}

/** CanCan::AccessDenied, with the handler of Api::ApplicationController (`description`, not `detail`). */
export function forbidden(description = 'You are not authorized to access this page.'): SimReply {
  return {body: {errors: [{description, status: '403', title: 'Not Authorized'}]}, status: 403}
}

/** ActionController::ParameterMissing. */
export function paramMissing(key: string): SimReply {
  return {body: {error: `param is missing or the value is empty: ${key}`, status: 400}, status: 400}
}

/** `rescue_from Exception`: the class name and message of an uncaught exception. */
export function internalError(title: string, description: string): SimReply {
  return {body: {errors: [{description, status: '500', title}]}, status: 500}
}

/** A 422 from a delete refused by the controller (user/team deletes). */
export function unprocessableContent(description: string): SimReply {
  return {body: {errors: [{description, status: '422', title: 'Unprocessable Content'}]}, status: 422}
}

export const unprocessable = (body: unknown): SimReply => ({body, status: 422})

/**
 * Whether Rails treats the request as JSON: a `.json` suffix, or an Accept header whose first type is
 * JSON. A browser-like Accept (one listing `*\/*` among others, e.g. axios' default
 * `application/json, text/plain, *\/*`) is ignored by Rails (`BROWSER_LIKE_ACCEPTS`) unless the
 * request is an XHR, so such a request is HTML.
 */
export function isJsonFormat(r: SimRequest): boolean {
  if (r.path.endsWith('.json')) return true
  const accept = headerValue(r, 'accept')
  if (accept === undefined || accept.trim() === '') return false
  const xhr = headerValue(r, 'x-requested-with') === 'XMLHttpRequest'
  if (!xhr && /,\s*\*\/\*|\*\/\*\s*,/.test(accept)) return false
  const types = accept
    .split(',')
    .map((part, i) => {
      const [type, ...params] = part.split(';').map((s) => s.trim())
      const q = params.find((p) => p.startsWith('q='))
      return {i, q: q === undefined ? 1 : Number(q.slice(2)), type: type.toLowerCase()}
    })
    .sort((a, b) => b.q - a.q || a.i - b.i)
  const first = types[0]?.type
  return first === 'application/json' || first === 'text/x-json' || first === 'application/jsonrequest'
}

export function headerValue(r: SimRequest, name: string): string | undefined {
  const v = r.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** Devise's redirect of a navigational (HTML or `*\/*`) request that failed authentication. */
export function redirectToSignIn(r: SimRequest): SimReply {
  const host = headerValue(r, 'host') ?? '127.0.0.1'
  const location = `http://${host}/accounts/sign_in`
  return {
    headers: {'Content-Type': 'text/html; charset=utf-8', Location: location},
    status: 302,
    text: `<html><body>You are being <a href="${location}">redirected</a>.</body></html>`,
  }
}
