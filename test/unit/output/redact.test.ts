import {expect} from 'chai'
import sinon from 'sinon'

import {clearSecrets, declarePublic, MAX_SESSION_SECRETS, redact, redactText, registerSecret, registerSessionSecret, secretCount} from '../../../src/lib/output/redact.js'

describe('redaction (lib/output/redact)', () => {
  afterEach(() => clearSecrets())

  const cases: [string, string, string][] = [
    ['a bearer token', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc-_def', 'Authorization: Bearer ***'],
    ['basic auth', 'Authorization: Basic YWRtaW46cGFzc3dvcmQ=', 'Authorization: Basic ***'],
    ['URL userinfo', 'amqp://openstack:rabbitpw@rabbit:5672/', 'amqp://openstack:***@rabbit:5672/'],
    ['an X-Auth-Token header', 'X-Auth-Token: gAAAAABk123', 'X-Auth-Token: ***'],
    ['a JSON password', '{"user":{"login":"admin","password":"hunter22"}}', '{"user":{"login":"admin","password":"***"}}'],
    ['a query token', 'GET /x?token=abc123&limit=5', 'GET /x?token="***"&limit=5'],
    ['a killbill api secret header', 'X-Killbill-ApiSecret: lavender', 'X-Killbill-ApiSecret: ***'],
    ['plain text', 'GET /v2.1/servers/detail?limit=1000', 'GET /v2.1/servers/detail?limit=1000'],
  ]
  for (const [what, input, output] of cases) {
    it(`masks ${what}`, () => {
      expect(redactText(input)).to.equal(output)
    })
  }

  it('masks a registered secret wherever it appears', () => {
    registerSecret('Tr0ub4dor&3')
    expect(redactText('login failed: user admin password Tr0ub4dor&3 rejected')).to.not.contain('Tr0ub4dor&3')
    expect(redactText('echo: Tr0ub4dor&3')).to.equal('echo: ***')
  })

  it('masks by key in nested objects, arrays and errors, and cuts cycles', () => {
    const obj: Record<string, unknown> = {auth: {identity: {password: {user: {name: 'admin', password: 'pw-1'}}}}, list: [{apisecret: 's'}], token: 't0k'}
    obj.self = obj
    const out = redact(obj) as Record<string, unknown>
    expect(JSON.stringify(out)).to.not.match(/pw-1|"s"|t0k/)
    expect(out.self).to.equal('[Circular]')
    const err = Object.assign(new Error('bad'), {password: 'x'})
    expect(redact(err)).to.deep.equal({message: 'bad', name: 'Error', password: '***'})
  })

  describe('session secrets (tokens) are masked only while live', () => {
    let clock: sinon.SinonFakeTimers
    beforeEach(() => {
      clock = sinon.useFakeTimers({now: Date.parse('2026-11-22T06:00:00Z'), toFake: ['Date']})
    })
    afterEach(() => clock.restore())

    const masked = (token: string) => !redactText(`token ${token} used`).includes(token)

    // [what, the expiry given, ms later, still masked]
    const expiries: [string, Date | number | string | undefined, number, boolean][] = [
      ['an ISO expiry, before it', '2026-11-22T07:00:00Z', 3_599_000, true],
      ['an ISO expiry, after it', '2026-11-22T07:00:00Z', 3_600_000, false],
      ['a Date expiry, after it', new Date('2026-11-22T06:00:01Z'), 1000, false],
      ['an epoch-ms expiry, before it', Date.parse('2026-11-22T06:00:01Z'), 999, true],
      ['no expiry: until replaced', undefined, 365 * 86_400_000, true],
      ['an unreadable expiry: until replaced', 'soon', 365 * 86_400_000, true],
    ]
    for (const [what, expiresAt, later, still] of expiries) {
      it(`${what}: ${still ? 'masked' : 'no longer masked'}`, () => {
        registerSessionSecret('gAAAAA-token-1', {expiresAt})
        expect(masked('gAAAAA-token-1')).to.equal(true)
        clock.tick(later)
        expect(masked('gAAAAA-token-1')).to.equal(still)
      })
    }

    it('a replaced token is dropped; its successor is masked', () => {
      registerSessionSecret('jwt-old-123')
      registerSessionSecret('jwt-new-456', {replaces: 'jwt-old-123'})
      expect(masked('jwt-old-123')).to.equal(false)
      expect(masked('jwt-new-456')).to.equal(true)
    })

    it(`keeps at most ${MAX_SESSION_SECRETS} (the oldest go first); configured secrets are never dropped`, () => {
      registerSecret('configured-password')
      for (let i = 0; i < 10_000; i++) registerSessionSecret(`token-${i}`)
      expect(secretCount()).to.equal(MAX_SESSION_SECRETS + 1)
      expect(masked('token-9999')).to.equal(true)
      expect(masked(`token-${10_000 - MAX_SESSION_SECRETS}`)).to.equal(true)
      expect(masked(`token-${10_000 - MAX_SESSION_SECRETS - 1}`)).to.equal(false)
      expect(masked('configured-password')).to.equal(true)
    })

    it('a configured secret registered as a session one too is never dropped', () => {
      registerSecret('shared-value')
      registerSessionSecret('shared-value', {expiresAt: Date.now() + 10})
      clock.tick(20)
      expect(masked('shared-value')).to.equal(true)
    })
  })

  describe('masks secret values, never the words around them', () => {
    // [what, registered secrets, input, output]
    const cases: [string, string[], string, string][] = [
      ['a file name ending in .password before a colon', [], 'cannot read /etc/cos/nope.password: ENOENT', 'cannot read /etc/cos/nope.password: ENOENT'],
      ['a file name ending in -token before a colon', [], 'cannot read ./keystone-token: EACCES', 'cannot read ./keystone-token: EACCES'],
      ['a Windows-style path', [], String.raw`C:\cos\api.secret: missing`, String.raw`C:\cos\api.secret: missing`],
      ['a secret equal to the word "password"', ['password'], 'Invalid Login or password.', 'Invalid Login or password.'],
      ['a secret equal to a key name', ['rmq_password'], "configuration key 'rmq.rmq_password' is missing", "configuration key 'rmq.rmq_password' is missing"],
      ['a secret inside an identifier', ['hunter22'], 'rmq_hunter22 and hunter22x and xhunter22', 'rmq_hunter22 and hunter22x and xhunter22'],
      ['a secret as a whole token', ['hunter22'], 'login hunter22 refused; "hunter22"; :hunter22@; (hunter22)', 'login *** refused; "***"; :***@; (***)'],
      ['a secret with punctuation, as a whole token', ['Tr0ub4dor&3'], 'pw=Tr0ub4dor&3, again Tr0ub4dor&3.', 'pw=***, again ***.'],
      ['a secret inside a word that names a secret', ['pass'], 'check rmq_password and the passphrase', 'check rmq_password and the passphrase'],
      ['a shorter session token that prefixes another', ['tok-1'], 'tok-10 and tok-1', 'tok-10 and ***'],
    ]
    for (const [what, secrets, input, output] of cases) {
      it(what, () => {
        for (const s of secrets) registerSecret(s)
        expect(redactText(input)).to.equal(output)
      })
    }
  })

  it('a secret equal to a name the output prints anyway (admin / admin) is not masked; others still are', () => {
    registerSecret('admin')
    registerSecret('Tr0ub4dor&3')
    declarePublic('admin')
    expect(redactText('user admin has no role admin in project admin; Tr0ub4dor&3')).to.equal('user admin has no role admin in project admin; ***')
    expect(secretCount()).to.equal(1)
    // In either order.
    clearSecrets()
    declarePublic('admin')
    registerSecret('admin')
    expect(redactText('project admin')).to.equal('project admin')
  })

  it('keeps non-secret keys that merely mention a secret word', () => {
    expect(redact({expires_at: '2026-01-01', password_file: '/etc/pw'})).to.deep.equal({expires_at: '2026-01-01', password_file: '/etc/pw'})
  })
})
