import {expect} from 'chai'

import {validationRefusal} from '../../../src/lib/api/validation.js'

describe('validationRefusal', () => {
  it('every missing field, nested ones dotted → 415', () => {
    const e = validationRefusal(
      [
        {instancePath: '', keyword: 'required', params: {missingProperty: 'action'}},
        {instancePath: '/cloud_env', keyword: 'required', params: {missingProperty: 'password'}},
        {instancePath: '/cloud_env/auth_url', keyword: 'type', params: {type: 'string'}},
      ],
      {cloud_env: {auth_url: 1}},
      {required: ['cloud_env', 'action']},
    )
    expect(e.httpStatus).to.equal(415)
    expect(e.message).to.equal('missing required fields: action, cloud_env.password')
  })

  it('an empty or absent body names the top-level fields', () => {
    for (const body of [undefined, null, {}]) expect(validationRefusal([], body, {required: ['cloud_env', 'keypair_name']}).message).to.include('cloud_env, keypair_name')
  })

  it('wrong types and values → 400 naming the field', () => {
    const e = validationRefusal([{instancePath: '/team_role/role', keyword: 'enum', params: {allowedValues: ['admin', 'member', 'watcher']}}], {x: 1}, {})
    expect(e.httpStatus).to.equal(400)
    expect(e.message).to.equal('invalid request: team_role.role must be one of "admin", "member", "watcher"')
  })

  it('an anyOf is reported once, not by its branches', () => {
    const e = validationRefusal(
      [
        {instancePath: '/credits/amount', keyword: 'exclusiveMinimum', params: {}},
        {instancePath: '/credits/amount', keyword: 'type', params: {type: 'string'}},
        {instancePath: '/credits/amount', keyword: 'anyOf', params: {}},
      ],
      {credits: {amount: -1}},
      {},
    )
    expect(e.message).to.equal('invalid request: credits.amount must be a number greater than 0 (or such a number as a string)')
  })
})
