/**
 * HS256 JSON Web Tokens, signed and checked with node:crypto. `decodeJwt` reports *why* a token is
 * rejected so that each server can answer with its own words: the app with ruby-jwt's messages
 * (reference/concertim-api.md §2.3), the MRD with jwtauth's (§2.4).
 */
import {createHmac, timingSafeEqual} from 'node:crypto'

export type JwtClaims = Record<string, unknown> & {exp?: number; iat?: number; jti?: string; nbf?: number; scp?: string; sub?: string}

export type JwtProblem = 'bad-encoding' | 'bad-segments' | 'bad-signature' | 'expired' | 'iat-in-future' | 'not-yet-valid'

export type JwtResult = {claims: JwtClaims; ok: true} | {ok: false; problem: JwtProblem}

export function signJwt(claims: JwtClaims, secret: string): string {
  const header = base64url(JSON.stringify({alg: 'HS256', typ: 'JWT'}))
  const payload = base64url(JSON.stringify(claims))
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}

/**
 * Tokens whose signature was verified, with their claims: a client sends the same token with every
 * request (the MRD gets 50,000 in a metrics run), so the HMAC is computed once per token. The times
 * (`exp`, `nbf`, `iat`) are checked on every use.
 */
const VERIFIED = new Map<string, JwtClaims>()

/** Decode and verify a token at `nowSec` (no leeway). `checkIat` rejects tokens issued in the future. */
export function decodeJwt(token: string, secret: string, nowSec: number, checkIat = false): JwtResult {
  const key = `${secret}\u0000${token}`
  const known = VERIFIED.get(key)
  if (known !== undefined) return checkTimes(known, nowSec, checkIat)
  const parts = token.split('.')
  if (parts.length !== 3) return {ok: false, problem: 'bad-segments'}
  let header: unknown
  let claims: unknown
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'))
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
  } catch {
    return {ok: false, problem: 'bad-encoding'}
  }
  if (!isObject(header) || !isObject(claims)) return {ok: false, problem: 'bad-encoding'}
  if (header.alg !== 'HS256') return {ok: false, problem: 'bad-signature'}
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest()
  const given = Buffer.from(parts[2], 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return {ok: false, problem: 'bad-signature'}
  const c = claims as JwtClaims
  if (VERIFIED.size >= 1000) VERIFIED.clear()
  VERIFIED.set(key, c)
  return checkTimes(c, nowSec, checkIat)
}

function checkTimes(c: JwtClaims, nowSec: number, checkIat: boolean): JwtResult {
  if (typeof c.exp === 'number' && c.exp <= nowSec) return {ok: false, problem: 'expired'}
  if (typeof c.nbf === 'number' && c.nbf > nowSec) return {ok: false, problem: 'not-yet-valid'}
  if (checkIat && typeof c.iat === 'number' && c.iat > nowSec) return {ok: false, problem: 'iat-in-future'}
  return {claims: c, ok: true}
}

function base64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url')
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
