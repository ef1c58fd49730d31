import {expect} from 'chai'

import {CloudEnvError, keystoneAuthFromCloudEnv} from '../../../src/lib/actions/cloud-env.js'
import {ActionRefused} from '../../../src/lib/actions/errors.js'
import {scopeOfTarget, statusChangeOf} from '../../../src/lib/actions/status-change.js'

describe('statusChangeOf', () => {
  const ok: [string, string][] = [
    ['instances', 'on'], ['instances', 'off'], ['instances', 'suspend'], ['instances', 'resume'], ['instances', 'destroy'],
    ['volumes', 'destroy'], ['volumes', 'detach'], ['networks', 'destroy'], ['racks', 'suspend'], ['racks', 'resume'], ['racks', 'destroy'],
  ]
  for (const [type, action] of ok) it(`${type} ${action} is accepted`, () => expect(statusChangeOf(type, action)).to.deep.equal({action, type}))
  const refused: [string, string, RegExp][] = [
    ['servers', 'off', /unknown object type 'servers'/],
    ['volumes', 'off', /'off' is not an action on volumes: one of destroy, detach/],
    ['networks', 'suspend', /one of destroy$/],
    ['racks', 'on', /suspend, resume, destroy/],
    ['__proto__', 'on', /unknown object type/],
  ]
  for (const [type, action, message] of refused) {
    it(`${type} ${action} → 406`, () => {
      try {
        statusChangeOf(type, action)
        expect.fail('accepted')
      } catch (error) {
        expect(error).to.be.instanceOf(ActionRefused)
        expect((error as ActionRefused).httpStatus).to.equal(406)
        expect((error as Error).message).to.match(message)
      }
    })
  }

  it('the scope reconciled after each type', () => {
    expect(['instances', 'volumes', 'networks', 'racks'].map((t) => scopeOfTarget(t as 'racks', 'x').kind)).to.deep.equal(['server', 'volume', 'network', 'stack'])
  })
})

describe('keystoneAuthFromCloudEnv', () => {
  it('the app\'s shape and the original\'s other spellings', () => {
    expect(keystoneAuthFromCloudEnv({auth_url: 'http://k:5000/v3', password: 'p', project_id: 'pid', user_id: 'uid'})).to.deep.equal({authUrl: 'http://k:5000/v3', password: 'p', project: {id: 'pid'}, user: {id: 'uid'}})
    expect(keystoneAuthFromCloudEnv({admin_project_id: 'pid', admin_user_id: 'uid', admin_user_password: 'p', auth_url: 'http://k'})).to.deep.include({project: {id: 'pid'}, user: {id: 'uid'}})
    expect(keystoneAuthFromCloudEnv({auth_url: 'http://k', password: 'p', project_domain_name: 'Default', project_name: 'admin', user_domain_name: 'Default', username: 'admin'})).to.deep.include({
      project: {domain: {name: 'Default'}, name: 'admin'},
      user: {domain: {name: 'Default'}, name: 'admin'},
    })
  })

  const bad: [Record<string, unknown>, RegExp][] = [
    [{password: 'p', project_id: 'x', user_id: 'u'}, /no auth_url/],
    [{auth_url: 'keystone', password: 'p', project_id: 'x', user_id: 'u'}, /not an http/],
    [{auth_url: 'http://k', project_id: 'x', user_id: 'u'}, /no password/],
    [{auth_url: 'http://k', password: 'p', project_id: 'x', username: 'u'}, /without user_domain/],
    [{auth_url: 'http://k', password: 'p', user_id: 'u'}, /names no project/],
  ]
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with 400, never echoing the password`, () => {
      try {
        keystoneAuthFromCloudEnv({...env, ...(env.password === undefined ? {} : {password: 'sekrit-pw'})})
        expect.fail('accepted')
      } catch (error) {
        expect(error).to.be.instanceOf(CloudEnvError)
        expect((error as CloudEnvError).httpStatus).to.equal(400)
        expect((error as Error).message).to.match(message).and.not.include('sekrit-pw')
      }
    })
  }
})
