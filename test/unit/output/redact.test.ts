import {expect} from 'chai'

import {clearSecrets, redact, redactText, registerSecret} from '../../../src/lib/output/redact.js'

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

  it('keeps non-secret keys that merely mention a secret word', () => {
    expect(redact({expires_at: '2026-01-01', password_file: '/etc/pw'})).to.deep.equal({expires_at: '2026-01-01', password_file: '/etc/pw'})
  })
})
