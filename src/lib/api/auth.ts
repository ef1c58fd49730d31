/**
 * The app's bearer tokens (concertim-api.md §2.5, §7.1): `{exp: now+60, iat, jti}` signed HS256 with
 * the secret it shares with us. Verified with jose, the algorithm pinned to HS256 (`none` and any
 * RS/ES token are refused whatever their header says: no RS/HS confusion); `exp` required and
 * checked with a small leeway; a token that lives longer than `maxLifetimeS` refused (a leaked
 * day-long login token is no key to the cloud); a `jti` seen before, while its token lives,
 * refused (replay). The token never reaches a log line or an error message.
 */
import {webcrypto} from 'node:crypto'

import {errors as joseErrors, jwtVerify} from 'jose'

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

export class TokenVerifier {
  /** The secret as a WebCrypto key, imported once (jose would import a raw secret on every verify). */
  private readonly key: Promise<webcrypto.CryptoKey>
  private readonly replay: ReplayGuard

  constructor(
    secret: string,
    private readonly policy: TokenPolicy,
    private readonly clock: () => number = Date.now,
  ) {
    if (secret === '') throw new Error('the JWT secret is empty')
    registerSecret(secret)
    this.key = webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), {hash: 'SHA-256', name: 'HMAC'}, false, ['verify'])
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
    const nowS = this.clock() / 1000
    let payload
    try {
      ;({payload} = await jwtVerify(m[1], await this.key, {
        algorithms: ['HS256'],
        clockTolerance: this.policy.leewayS,
        currentDate: new Date(this.clock()),
        requiredClaims: ['exp'],
      }))
    } catch (error) {
      throw unauthorised(describeJoseError(error))
    }
    const exp = payload.exp as number
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

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired'
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the token is not signed with HS256 (the only algorithm accepted)'
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify with the shared secret'
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'exp') return 'the token has no valid exp claim (required)'
    return `the token's ${error.claim} claim is not valid (${error.reason})`
  }
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) return 'the token is malformed or not signed'
  if (error instanceof joseErrors.JOSENotSupported) return 'the token uses an unsupported algorithm'
  return 'the token could not be verified'
}
