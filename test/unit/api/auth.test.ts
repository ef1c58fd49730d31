import {expect} from 'chai'
import {createHmac} from 'node:crypto'
import {SignJWT} from 'jose'

import {ReplayGuard, TokenVerifier} from '../../../src/lib/api/auth.js'
import {ApiError} from '../../../src/lib/api/errors.js'
import {failure} from '../../support/failure.js'

const SECRET = 'unit-test-secret-abcdefghijklmnop'
const key = new TextEncoder().encode(SECRET)
const T0 = 1_800_000_000

async function token(claims: {exp?: number; iat?: number; jti?: string}): Promise<string> {
  const jwt = new SignJWT({}).setProtectedHeader({alg: 'HS256'})
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat)
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp)
  if (claims.jti !== undefined) jwt.setJti(claims.jti)
  return jwt.sign(key)
}

const refusal = async (p: Promise<unknown>): Promise<ApiError> => failure(p, ApiError)

describe('ReplayGuard', () => {
  it('refuses a jti while its token lives, accepts it again after', () => {
    let now = 0
    const g = new ReplayGuard(10, () => now)
    expect(g.remember('a', 1000)).to.equal(true)
    expect(g.remember('a', 1000)).to.equal(false)
    now = 1001
    expect(g.remember('a', 2000)).to.equal(true)
  })

  it('stays bounded: expired entries go first, then the oldest', () => {
    let now = 0
    const g = new ReplayGuard(3, () => now)
    for (const j of ['a', 'b', 'c']) g.remember(j, 100)
    now = 150
    g.remember('d', 300)
    expect(g.size).to.equal(1)
    for (const j of ['e', 'f', 'g']) g.remember(j, 300)
    expect(g.size).to.equal(3)
  })
})

describe('TokenVerifier', () => {
  const policy = {leewayS: 5, maxLifetimeS: 300, replayCapacity: 100}
  const verifier = () => new TokenVerifier(SECRET, policy, () => T0 * 1000)

  const cases: [string, {exp?: number; iat?: number; jti?: string}, RegExp | null][] = [
    ['the app\'s token (60 s)', {exp: T0 + 60, iat: T0, jti: 'j1'}, null],
    ['expired within the leeway', {exp: T0 - 3, iat: T0 - 63, jti: 'j2'}, null],
    ['expired beyond the leeway', {exp: T0 - 30, iat: T0 - 90, jti: 'j3'}, /expired/],
    ['no exp', {iat: T0, jti: 'j4'}, /exp/],
    ['exactly the maximum lifetime', {exp: T0 + 300, iat: T0, jti: 'j5'}, null],
    ['longer than the maximum', {exp: T0 + 3600, iat: T0, jti: 'j6'}, /longer than the 300 s/],
    ['long without iat (measured from now)', {exp: T0 + 3600, jti: 'j7'}, /longer/],
    ['issued in the future', {exp: T0 + 160, iat: T0 + 100, jti: 'j8'}, /future/],
    ['no jti', {exp: T0 + 60, iat: T0}, /jti/],
  ]
  for (const [what, claims, problem] of cases) {
    it(`${what}: ${problem === null ? 'accepted' : 'refused'}`, async () => {
      const v = verifier()
      const header = `Bearer ${await token(claims)}`
      if (problem === null) expect(await v.verify(header)).to.deep.equal({jti: claims.jti})
      else {
        const e = await refusal(v.verify(header))
        expect(e.httpStatus).to.equal(401)
        expect(e.message).to.match(problem)
      }
    })
  }

  describe('forged or foreign tokens are refused', () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const claims = {exp: T0 + 60, iat: T0, jti: 'forged'}
    const signed = async (header: Record<string, unknown>, payload: Record<string, unknown> = claims, secret = SECRET) =>
      new SignJWT(payload).setProtectedHeader(header as {alg: string}).sign(new TextEncoder().encode(secret))
    const forgeries: [string, () => Promise<string>, RegExp][] = [
      ['alg none, no signature', async () => `${b64({alg: 'none'})}.${b64(claims)}.`, /HS256/],
      ['another secret', async () => signed({alg: 'HS256'}, claims, 'another-secret-0123456789abcdef'), /signature/],
      ['payload swapped under a good signature', async () => {
        const [h, , sig] = (await token({exp: T0 + 60, iat: T0, jti: 'a'})).split('.')
        return `${h}.${b64({...claims, exp: T0 + 290})}.${sig}`
      }, /signature/],
      ['HS512 with the same secret', async () => signed({alg: 'HS512'}), /HS256/],
      ['RS256 label over an HMAC signature (confusion)', async () => {
        const [, p, sig] = (await token({exp: T0 + 60, iat: T0, jti: 'b'})).split('.')
        return `${b64({alg: 'RS256'})}.${p}.${sig}`
      }, /HS256|signature/],
      ['an unknown crit extension', async () => {
        const h = b64({alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1})
        const p = b64(claims)
        return `${h}.${p}.${createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url')}`
      }, /crit/],
      ['a truncated signature', async () => (await token({exp: T0 + 60, iat: T0, jti: 'c'})).slice(0, -2), /signature|malformed/],
      ['a signature with a character outside base64url', async () => `${(await token({exp: T0 + 60, iat: T0, jti: 'd'})).slice(0, -1)}+`, /malformed/],
      ['a header that is not JSON', async () => `${Buffer.from('nope').toString('base64url')}.${b64(claims)}.abc`, /malformed/],
      ['exp not a number', async () => signed({alg: 'HS256'}, {...claims, exp: 'soon'}), /exp/],
      ['nbf in the future', async () => signed({alg: 'HS256'}, {...claims, nbf: T0 + 30}), /nbf/],
      ['nbf not a number', async () => signed({alg: 'HS256'}, {...claims, nbf: 'now'}), /nbf/],
      ['iat not a number', async () => signed({alg: 'HS256'}, {...claims, iat: 'now'}), /iat/],
      ['a payload that is a JSON array', async () => {
        const h = b64({alg: 'HS256'})
        const p = b64([1, 2])
        return `${h}.${p}.${createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url')}`
      }, /malformed/],
      ['a payload that is not JSON', async () => {
        const h = b64({alg: 'HS256'})
        const p = Buffer.from('not json').toString('base64url')
        return `${h}.${p}.${createHmac('sha256', SECRET).update(`${h}.${p}`).digest('base64url')}`
      }, /malformed/],
    ]
    for (const [what, make, problem] of forgeries) {
      it(what, async () => {
        const e = await refusal(verifier().verify(`Bearer ${await make()}`))
        expect(e.httpStatus).to.equal(401)
        expect(e.message).to.match(problem)
      })
    }
  })

  it('names the header problem and never includes the token in a message', async () => {
    const v = verifier()
    const t = await token({exp: T0 - 100, iat: T0 - 160, jti: 'x'})
    for (const header of [undefined, 'Basic abc', `Bearer ${t}`, `bearer ${t}`, `Bearer ${t}x`]) {
      const e = await refusal(v.verify(header))
      expect(e.errorName).to.equal('APIAuthenticationError')
      expect(e.message).to.not.include(t.slice(20))
    }
  })
})
