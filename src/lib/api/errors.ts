/**
 * Every failure of a request → the status and the body the app parses:
 * `{success: false, error: <name>, message: <text>}` — never a traceback, never a secret. The
 * status is honest: 4xx for what the caller must fix, 502/503/504 when OpenStack or Kill Bill
 * failed, 500 only for our own bugs.
 */
import {AppError} from '../errors.js'
import {HttpError} from '../http/index.js'
import {AuthenticationError} from '../openstack/errors.js'
import {redactText} from '../output/redact.js'

export interface ErrorBody {
  error: string
  message: string
  success: false
}

export interface ErrorReply {
  body: ErrorBody
  status: number
}

/** A refusal decided by `serve` itself (auth, validation, routing). */
export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly errorName: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

const reply = (status: number, error: string, message: string): ErrorReply => ({body: {error, message: redactText(message), success: false}, status})

/** Statuses of an outside system that are the caller's (its credentials, its object, its state). */
const PASSED_ON: Record<number, string> = {400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict'}

/** The answer for an error (pure). */
export function errorReply(error: unknown): ErrorReply {
  // Ours and the libraries' refusals: ApiError, ActionRefused, ServiceRefusal, CloudEnvError.
  const e = error as {errorName?: unknown; httpStatus?: unknown; message?: unknown}
  if (typeof e?.httpStatus === 'number' && e.httpStatus >= 400 && e.httpStatus < 600) {
    return reply(e.httpStatus, typeof e.errorName === 'string' ? e.errorName : 'Error', String(e.message ?? ''))
  }
  if (error instanceof AuthenticationError) {
    // Keystone refused the cloud_env's credentials (401/403), or a service refused a fresh token.
    const status = error.status === 401 || error.status === 403 ? 401 : 502
    return reply(status, status === 401 ? 'CloudAuthenticationError' : 'UpstreamError', error.message)
  }
  if (error instanceof HttpError) return upstreamReply(error)
  // Fastify's own refusals (body too large, bad JSON, wrong media type): the caller's.
  const fe = error as {code?: unknown; statusCode?: unknown}
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 && typeof fe.code === 'string' && fe.code.startsWith('FST_')) {
    return reply(fe.statusCode, fe.statusCode === 413 ? 'PayloadTooLarge' : 'BadRequest', String(e.message ?? 'bad request'))
  }
  if (error instanceof AppError) return reply(500, 'InternalError', error.message)
  return reply(500, 'InternalError', `an unexpected error occurred: ${error instanceof Error ? error.message : String(error)}`)
}

function upstreamReply(error: HttpError): ErrorReply {
  const what = error.system
  switch (error.kind) {
    case 'status': {
      const status = error.status ?? 502
      if (status === 401) return reply(401, 'CloudAuthenticationError', error.message)
      if (PASSED_ON[status] !== undefined) return reply(status, PASSED_ON[status], error.message)
      if (status === 503) return reply(503, 'UpstreamUnavailable', error.message)
      if (status === 504) return reply(504, 'UpstreamTimeout', error.message)
      return reply(502, 'UpstreamError', error.message)
    }
    case 'deadline':
    case 'timeout': {
      return reply(504, 'UpstreamTimeout', `${what} did not answer in time: ${error.message}`)
    }
    case 'network':
    case 'tls': {
      return reply(503, 'UpstreamUnavailable', `${what} cannot be reached: ${error.message}`)
    }
    default: {
      return reply(502, 'UpstreamError', error.message)
    }
  }
}
