/**
 * The app's bearer tokens (concertim-api.md §2.5, §7.1): `{exp: now+60, iat, jti}` signed HS256 with
 * the secret it shares with us. Verified with fast-jwt (the verifier of @fastify/jwt), the algorithm
 * pinned to HS256 (`none` and any RS/ES token are refused whatever their header says: no RS/HS
 * confusion), any `crit` extension refused; `exp` required and checked with a small leeway, as `nbf`
 * and `iat` are, against our own clock; a token that lives longer than `maxLifetimeS` refused (a
 * leaked day-long login token is no key to the cloud); a `jti` seen before, while its token lives,
 * refused (replay). The token never reaches a log line or an error message.
 *
 * Why fast-jwt and not jose (used before): jose verifies through WebCrypto, whose every HMAC is a
 * job on libuv's thread pool — a hop per request that cost ~20 % of serve's CPU on `GET /key_pairs`
 * and its tail latency on a busy host; fast-jwt's HMAC is node:crypto's, synchronous (~4 µs).
 */
import {createVerifier, TokenError} from 'fast-jwt'

import {registerSecret} from '../output/redact.js'
import {ApiError} from './errors.js'

export interface TokenPolicy {
  /** Seconds of clock skew tolerated. */
  leewayS: number
  /** Longest lifetime accepted (exp − iat; exp − now without iat), seconds. */
  maxLifetimeS: number
  /** jtis remembered at most. */
  replayCapacity: number
}

/** jtis seen, with when their token expires: a bounded set (the soonest to expire go first when full). */
export class ReplayGuard {
  private readonly seen = new Map<string, number>()

  constructor(
    private readonly capacity: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get size(): number {
    return this.seen.size
  }

  /** Record a jti; false when it was seen already and its token still lives (a replay). */
  remember(jti: string, expiresAtMs: number): boolean {
    const now = this.clock()
    const known = this.seen.get(jti)
    if (known !== undefined && known > now) return false
    this.prune(now)
    this.seen.delete(jti)
    this.seen.set(jti, expiresAtMs)
    while (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value as string)
    return true
  }

  /** Drop the expired entries at the front (tokens arrive in roughly the order they expire). */
  private prune(now: number): void {
    for (const [jti, exp] of this.seen) {
      if (exp > now) break
      this.seen.delete(jti)
    }
  }
}

const unauthorised = (message: string): ApiError => new ApiError(401, 'APIAuthenticationError', message)

/** A JWS compact serialisation: three base64url parts (the signature may be empty: refused later, by name). */
const COMPACT = /^[\w-]+\.[\w-]+\.[\w-]*$/

export class TokenVerifier {
  /** Signature, algorithm, `crit` and format; the time claims are checked below, with our clock. */
  private readonly check: (token: string) => Record<string, unknown>
  private readonly replay: ReplayGuard

  constructor(
    secret: string,
    private readonly policy: TokenPolicy,
    private readonly clock: () => number = Date.now,
  ) {
    if (secret === '') throw new Error('the JWT secret is empty')
    registerSecret(secret)
    this.check = createVerifier({algorithms: ['HS256'], cache: false, ignoreExpiration: true, ignoreNotBefore: true, key: secret}) as (token: string) => Record<string, unknown>
    this.replay = new ReplayGuard(policy.replayCapacity, clock)
  }

  /** jtis remembered now (diagnostics). */
  get remembered(): number {
    return this.replay.size
  }

  /** Check an `Authorization` header; throws a 401 `ApiError` that names the problem (never the token). */
  async verify(header: string | undefined): Promise<{jti: string}> {
    if (header === undefined || header === '') throw unauthorised('no Authorization header: send "Authorization: Bearer <JWT>" signed with the shared secret')
    const m = /^Bearer ([^\s]+)$/.exec(header.trim())
    if (m === null) throw unauthorised('the Authorization header is not "Bearer <JWT>"')
    if (!COMPACT.test(m[1])) throw unauthorised('the token is malformed or not signed')
    const nowS = this.clock() / 1000
    let payload: Record<string, unknown>
    try {
      payload = this.check(m[1])
    } catch (error) {
      throw unauthorised(describeTokenError(error))
    }
    const leeway = this.policy.leewayS
    if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) throw unauthorised('the token has no valid exp claim (required)')
    if (payload.exp + leeway <= nowS) throw unauthorised('the token has expired')
    if (payload.nbf !== undefined && (typeof payload.nbf !== 'number' || payload.nbf > nowS + leeway)) throw unauthorised(typeof payload.nbf === 'number' ? 'the token is not valid yet (nbf): check the clocks' : "the token's nbf claim is not a number")
    if (payload.iat !== undefined && typeof payload.iat !== 'number') throw unauthorised("the token's iat claim is not a number")
    const exp = payload.exp
    const lifetime = typeof payload.iat === 'number' ? exp - payload.iat : exp - nowS
    if (lifetime > this.policy.maxLifetimeS + this.policy.leewayS) {
      throw unauthorised(`the token is valid for ${Math.round(lifetime)} s, longer than the ${this.policy.maxLifetimeS} s accepted (api.max_token_lifetime_s)`)
    }
    if (typeof payload.iat === 'number' && payload.iat > nowS + this.policy.leewayS) throw unauthorised('the token is issued in the future (iat): check the clocks')
    if (typeof payload.jti !== 'string' || payload.jti === '') throw unauthorised('the token has no jti claim (each token must carry a unique one)')
    if (!this.replay.remember(payload.jti, (exp + this.policy.leewayS) * 1000)) throw unauthorised('the token was used already (its jti was seen before): each request needs a new token')
    return {jti: payload.jti}
  }
}

function describeTokenError(error: unknown): string {
  switch (error instanceof TokenError ? error.code : undefined) {
    case TokenError.codes.invalidAlgorithm: {
      return 'the token is not signed with HS256 (the only algorithm accepted)'
    }
    case TokenError.codes.missingSignature: {
      return 'the token has no signature (HS256 with the shared secret is required)'
    }
    case TokenError.codes.invalidSignature: {
      return 'the token signature does not verify with the shared secret'
    }
    case TokenError.codes.invalidCritHeader: {
      return 'the token names a critical header extension (crit) that is not supported'
    }
    case TokenError.codes.malformed:
    case TokenError.codes.invalidPayload: {
      return 'the token is malformed or not signed'
    }
    default: {
      return 'the token could not be verified'
    }
  }
}
