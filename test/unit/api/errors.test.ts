import {expect} from 'chai'

import {ActionRefused} from '../../../src/lib/actions/errors.js'
import {ApiError, errorReply} from '../../../src/lib/api/errors.js'
import {ServiceRefusal} from '../../../src/lib/api/ports.js'
import {HttpError} from '../../../src/lib/http/index.js'
import {AuthenticationError} from '../../../src/lib/openstack/errors.js'

const upstream = (p: Partial<ConstructorParameters<typeof HttpError>[0]>) => new HttpError({kind: 'status', method: 'GET', problem: 'failed', system: 'nova', url: 'http://nova/x', ...p})

describe('errorReply', () => {
  const cases: [string, unknown, number, string][] = [
    ['our refusal', new ApiError(415, 'MissingRequiredArgument', 'missing'), 415, 'MissingRequiredArgument'],
    ['an action refused', new ActionRefused(406, 'InvalidAPICall', 'no'), 406, 'InvalidAPICall'],
    ['a library refusal', new ServiceRefusal(422, 'InsufficientCredits', 'low'), 422, 'InsufficientCredits'],
    ['Keystone refused the cloud_env', new AuthenticationError('refused', {status: 401}), 401, 'CloudAuthenticationError'],
    ['a service refused a fresh token', new AuthenticationError('refused a fresh token'), 502, 'UpstreamError'],
    ['OpenStack 401', upstream({status: 401}), 401, 'CloudAuthenticationError'],
    ['OpenStack 403 (policy)', upstream({status: 403}), 403, 'Forbidden'],
    ['OpenStack 404', upstream({status: 404}), 404, 'NotFound'],
    ['OpenStack 409 (state)', upstream({status: 409}), 409, 'Conflict'],
    ['OpenStack 500', upstream({status: 500}), 502, 'UpstreamError'],
    ['OpenStack 503', upstream({status: 503}), 503, 'UpstreamUnavailable'],
    ['OpenStack 413 (unexpected 4xx)', upstream({status: 413}), 502, 'UpstreamError'],
    ['unreachable', upstream({kind: 'network'}), 503, 'UpstreamUnavailable'],
    ['timeout', upstream({kind: 'timeout'}), 504, 'UpstreamTimeout'],
    ['deadline', upstream({kind: 'deadline'}), 504, 'UpstreamTimeout'],
    ['a body too large (Fastify)', Object.assign(new Error('Request body is too large'), {code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413}), 413, 'PayloadTooLarge'],
    ['our bug', new TypeError('x is undefined'), 500, 'InternalError'],
  ]
  for (const [what, error, status, name] of cases) {
    it(`${what} → ${status} ${name}`, () => {
      const r = errorReply(error)
      expect(r.status).to.equal(status)
      expect(r.body.error).to.equal(name)
      expect(r.body.success).to.equal(false)
      expect(Object.keys(r.body).sort()).to.deep.equal(['error', 'message', 'success'])
    })
  }
})
