/**
 * Devise + devise-jwt as the app uses them (reference/concertim-api.md §2): login by `login` and
 * password, the JWT in the `Authorization` response header (HS256, 24 h, `{sub, scp, iat, exp, jti}`),
 * the jti allowlist (a token is valid only while its jti is listed), sign-out, and the warden
 * failure messages.
 */
import {randomUUID} from 'node:crypto'

import type {Faults} from '../faults.js'
import type {SimReply, SimRequest} from '../http-app.js'
import {decodeJwt, signJwt} from './jwt.js'
import {headerValue, isJsonFormat, redirectToSignIn} from './responses.js'
import type {ConcertimState, UserRecord} from './state.js'

export const TOKEN_LIFETIME_SEC = 86_400
const NEED_SIGN_IN = 'You need to sign in or sign up before continuing.'

export type Authentication = {reply: SimReply; user?: undefined} | {reply?: undefined; user: UserRecord}

export class Sessions {
  /** jti → user id and expiry (table `allowlisted_jwts`). */
  private readonly allowlist = new Map<string, {exp: number; userId: string}>()
  private readonly jtisByUser = new Map<string, Set<string>>()

  constructor(
    private readonly state: ConcertimState,
    private readonly secret: string,
    private readonly now: () => number,
    private readonly faults?: Faults,
  ) {}

  /** `POST /users/sign_in(.json)`, `POST /accounts/sign_in(.json)`. */
  login(r: SimRequest): SimReply {
    const json = isJsonFormat(r)
    const params = isObject(r.body) ? r.body.user : undefined
    if (!isObject(params)) return this.failure(r, json, NEED_SIGN_IN)
    const user = typeof params.login === 'string' ? this.state.userByLogin(params.login) : undefined
    if (!user || user.password !== params.password || user.deleted_at !== null) return this.failure(r, json, 'Invalid Login or password.')
    const token = this.issue(user)
    const headers = {Authorization: `Bearer ${token}`}
    if (!json) return {headers: {...headers, Location: '/'}, status: 303, text: ''}
    return {body: signInBody(user), headers, status: 201}
  }

  /** `GET /accounts/sign_out`: removes the token's jti from the allowlist. */
  signOut(r: SimRequest): SimReply {
    const token = bearerToken(r)
    if (token !== undefined) {
      const decoded = decodeJwt(token, this.secret, this.nowSec())
      if (decoded.ok && typeof decoded.claims.jti === 'string') this.revoke(decoded.claims.jti)
    }
    return isJsonFormat(r) ? {status: 204} : {headers: {Location: '/'}, status: 303, text: ''}
  }

  /** Mint a token for a user and allowlist it (as a login does). */
  issue(user: UserRecord): string {
    const iat = this.nowSec()
    const jti = randomUUID()
    const exp = iat + TOKEN_LIFETIME_SEC
    this.allowlist.set(jti, {exp, userId: user.id})
    let set = this.jtisByUser.get(user.id)
    if (!set) {
      set = new Set()
      this.jtisByUser.set(user.id, set)
    }
    set.add(jti)
    return signJwt({exp, iat, jti, scp: 'user', sub: user.id}, this.secret)
  }

  /** `allowlisted_jwts.destroy_all` for a user (marking a user for deletion). */
  revokeAll(userId: string): void {
    for (const jti of this.jtisByUser.get(userId) ?? []) this.allowlist.delete(jti)
    this.jtisByUser.delete(userId)
  }

  revoke(jti: string): void {
    const entry = this.allowlist.get(jti)
    if (!entry) return
    this.allowlist.delete(jti)
    this.jtisByUser.get(entry.userId)?.delete(jti)
  }

  /** `authenticate_user!` on `/api/v1`: the user, or the 401 (JSON) / 302 (navigational) reply. */
  authenticate(r: SimRequest): Authentication {
    const message = this.check(r)
    if (typeof message !== 'string') return {user: message}
    if (!isJsonFormat(r)) return {reply: redirectToSignIn(r)}
    return {reply: {body: {error: message}, status: 401}}
  }

  private check(r: SimRequest): string | UserRecord {
    const token = bearerToken(r)
    if (token === undefined) return NEED_SIGN_IN
    const decoded = decodeJwt(token, this.secret, this.nowSec())
    if (!decoded.ok) {
      switch (decoded.problem) {
        case 'bad-segments': {
          return 'Not enough or too many segments'
        }
        case 'bad-encoding': {
          return 'Invalid segment encoding'
        }
        case 'bad-signature': {
          return 'No verification key available'
        }
        case 'expired': {
          return 'Signature has expired'
        }
        default: {
          return 'Signature nbf has not been reached'
        }
      }
    }
    if (this.faults?.get('concertim')?.expireTokens) return 'Signature has expired'
    const {claims} = decoded
    if (String(claims.scp ?? '') !== 'user') return 'wrong scope'
    const user = typeof claims.sub === 'string' ? this.state.users.get(claims.sub) : undefined
    if (!user) return 'nil user'
    const entry = typeof claims.jti === 'string' ? this.allowlist.get(claims.jti) : undefined
    if (!entry || entry.userId !== user.id) return 'revoked token'
    return user
  }

  private failure(r: SimRequest, json: boolean, message: string): SimReply {
    if (!json) return redirectToSignIn(r)
    return {body: {error: message}, status: 401}
  }

  private nowSec(): number {
    return Math.floor(this.now() / 1000)
  }
}

/** warden-jwt_auth's HeaderParser: `method, token = auth.split`; only `Bearer` counts. */
function bearerToken(r: SimRequest): string | undefined {
  const auth = headerValue(r, 'authorization')
  if (auth === undefined) return undefined
  const [method, token] = auth.trim().split(/\s+/)
  return method === 'Bearer' && token ? token : undefined
}

/** Devise's `serializable_hash` of the user (no client reads it). */
function signInBody(user: UserRecord): Record<string, unknown> {
  return {
    cloud_user_id: user.cloud_user_id,
    created_at: new Date(user.created_at).toISOString(),
    deleted_at: user.deleted_at === null ? null : new Date(user.deleted_at).toISOString(),
    email: user.email,
    id: user.id,
    login: user.login,
    name: user.name,
    root: user.root,
    updated_at: new Date(user.created_at).toISOString(),
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
