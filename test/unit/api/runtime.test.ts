import {expect} from 'chai'

import {jwtSecretOf} from '../../../src/lib/api/runtime.js'
import {ConfigError} from '../../../src/lib/errors.js'
import {redactText} from '../../../src/lib/output/redact.js'

const api = (jwt_secret?: string) => ({api: {jwt_secret} as never})

describe('jwtSecretOf', () => {
  it('api.jwt_secret first, then JWT_SECRET as the original read it; registered for redaction', () => {
    expect(jwtSecretOf(api('from-config-secret-1'), {JWT_SECRET: 'from-env-secret-2'})).to.equal('from-config-secret-1')
    expect(jwtSecretOf(api(), {JWT_SECRET: 'from-env-secret-2'})).to.equal('from-env-secret-2')
    expect(redactText('token signed with from-env-secret-2')).to.not.include('from-env-secret-2')
  })

  it('none is a configuration error (exit 2) that says where to put it', () => {
    try {
      jwtSecretOf(api(), {})
      expect.fail('accepted')
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError)
      expect((error as ConfigError).exitCode).to.equal(2)
      expect((error as ConfigError).message).to.include("api.jwt_secret")
      expect((error as ConfigError).hint).to.include('JWT_SECRET')
    }
  })
})
