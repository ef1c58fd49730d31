/**
 * Errors of the OpenStack clients. Each says what is wrong and how to fix it; none carries a
 * password or a token (messages are built from names, ids and the server's redacted message).
 */
import {AppError} from '../errors.js'
import {ExitCode, type ExitCodeValue} from '../exit-codes.js'

/** Keystone refused the credentials, or a service refused a freshly issued token. */
export class AuthenticationError extends AppError {
  readonly serverMessage?: string
  readonly status?: number

  constructor(message: string, opts: {cause?: unknown; hint?: string; serverMessage?: string; status?: number} = {}) {
    super(message, {cause: opts.cause, code: 'E_OPENSTACK_AUTH', hint: opts.hint})
    this.serverMessage = opts.serverMessage
    this.status = opts.status
  }
}

/** The service catalog has no endpoint for a service (with this interface and region). */
export class EndpointNotFoundError extends AppError {
  readonly available: string[]
  readonly serviceType: string

  constructor(p: {available: string[]; interface: string; region?: string; serviceType: string; types: string[]}) {
    const wanted = `${p.types.join('/')} (interface ${p.interface}${p.region ? `, region ${p.region}` : ''})`
    const has = p.available.length > 0 ? p.available.join('; ') : 'nothing'
    super(`the OpenStack service catalog has no endpoint for ${wanted}; it has: ${has}`, {
      code: 'E_OPENSTACK_ENDPOINT',
      exitCode: ExitCode.FAILURE,
      hint:
        `install/register the ${p.serviceType} service, choose another openstack.interface or openstack.region_name, ` +
        `or give its URL in openstack.endpoint_overrides (e.g. endpoint_overrides: {${p.serviceType}: "https://host:port/..."})`,
    })
    this.available = p.available
    this.serviceType = p.serviceType
  }
}

/** A paged listing did not end: the server sent the same marker (or next link) twice. */
export class PagingLoopError extends AppError {
  constructor(system: string, what: string, detail: string) {
    super(`${system}: paging ${what} went in a loop (${detail}); the listing is incomplete and was abandoned`, {
      code: 'E_OPENSTACK_PAGING',
      hint: 'the service returned a next link that points back to a page already read; check its version and logs',
    })
  }
}

/** Nova does not support the compute microversion we asked for. */
export class MicroversionError extends AppError {
  readonly serverMessage?: string

  constructor(service: string, version: string, serverMessage?: string) {
    super(`${service} does not accept API microversion ${version}${serverMessage ? `: ${serverMessage}` : ''}`, {
      code: 'E_OPENSTACK_MICROVERSION',
      exitCode: ExitCode.USAGE,
      hint: `set openstack.compute_microversion to a version this cloud supports (at least 2.47 so that flavors are inline)`,
    })
    this.serverMessage = serverMessage
  }
}

/**
 * Keystone refused a write (or a read of one object). Typed by status so that callers decide on
 * meaning, not on numbers: 409 a name already taken in the domain (or a concurrent creation), 403
 * the token's user may not do it, 404 the object (or the role, user, project of a grant) does not
 * exist, 400 the request was refused as invalid (e.g. a password the security policy rejects).
 */
export class KeystoneWriteError extends AppError {
  readonly serverMessage?: string
  readonly status: number

  constructor(message: string, opts: {cause?: unknown; code: string; exitCode?: ExitCodeValue; hint?: string; serverMessage?: string; status: number}) {
    super(message, {cause: opts.cause, code: opts.code, exitCode: opts.exitCode, hint: opts.hint})
    this.serverMessage = opts.serverMessage
    this.status = opts.status
  }
}

/** 409: a user or project of this name already exists in the domain. */
export class KeystoneConflictError extends KeystoneWriteError {}
/** 403: the configured OpenStack user may not make this call (it needs the admin role). */
export class KeystoneForbiddenError extends KeystoneWriteError {}
/** 404: the object (or a role, user or project named by the call) does not exist. */
export class KeystoneNotFoundError extends KeystoneWriteError {}
/** 400: Keystone refused the request as invalid, e.g. a password its security policy rejects. */
export class KeystoneBadRequestError extends KeystoneWriteError {}
