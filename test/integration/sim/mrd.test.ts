/**
 * Conformance of the simulated metric reporting daemon: reference/concertim-api.md §10 row 16 (§8).
 */
import {expect} from 'chai'

import {signJwt} from '../../../src/sim/concertim/jwt.js'
import {ConcertimFixture, instanceDevice, JWT_SECRET, request} from './concertim-fixture.js'

const METRIC = {name: 'cpu_load', slope: 'both', ttl: 3600, type: 'double', units: '%', value: 12.345_678_9}

describe('sim mrd §10.16 PUT /:deviceId/metrics', () => {
  let now = Date.parse('2024-05-10T12:00:00Z')
  const f = new ConcertimFixture()
  let deviceId: string
  let mrdToken: string
  before(async () => {
    await f.start({mrd: {dsmThrottleMs: 5000, processingStepMs: 15_000}, now: () => now})
    deviceId = String((await f.createDevice(instanceDevice('comp1', f.rack.id, 1))).id)
    mrdToken = `Bearer ${signJwt({exp: Math.floor(now / 1000) + 86_400}, JWT_SECRET)}`
  })
  after(() => f.stop())
  afterEach(() => f.faults.clear())

  const put = (path: string, body: unknown, token: null | string = mrdToken, raw?: string) =>
    request(f.mrd?.url ?? '', 'PUT', path, {accept: null, body, raw, token})

  it('accepts any HS256 token with the shared secret, at /:id/metrics and /mrd/:id/metrics: 200 {"status":200}', async () => {
    for (const [path, token] of [[`/${deviceId}/metrics`, mrdToken], [`/mrd/${deviceId}/metrics`, f.rootToken]]) {
      const res = await put(path, METRIC, token)
      expect(res.status).to.equal(200)
      expect(res.text).to.equal('{"status":200}\n')
      expect(res.headers.get('content-type')).to.match(/^application\/json/)
    }
    const noExp = `Bearer ${signJwt({}, JWT_SECRET)}`
    expect((await put(`/${deviceId}/metrics`, METRIC, noExp)).status).to.equal(200)
    const last = f.state.metrics.latest(deviceId, 'cpu_load')
    expect(last).to.deep.include({deviceId, name: 'cpu_load', slope: 'both', ttl: 3600, type: 'double', units: '%', value: 12.345_679})
    expect(f.state.metrics.received.filter((m) => m.deviceId === deviceId)).to.have.lengthOf(3)
  })

  it('401 in text/plain for missing, bad and expired tokens (and the expireTokens fault)', async () => {
    const iat = Math.floor(now / 1000)
    const cases: [null | string, string][] = [
      [null, 'no token found\n'],
      [`Bearer ${signJwt({exp: iat + 60}, 'wrong-secret')}`, 'token is unauthorized\n'],
      ['Bearer garbage', 'token is unauthorized\n'],
      [`Bearer ${signJwt({exp: iat - 1}, JWT_SECRET)}`, 'token is expired\n'],
      [`Bearer ${signJwt({nbf: iat + 100}, JWT_SECRET)}`, 'token nbf validation failed\n'],
    ]
    for (const [token, text] of cases) {
      const res = await put(`/${deviceId}/metrics`, METRIC, token)
      expect(res.status).to.equal(401)
      expect(res.headers.get('content-type')).to.match(/^text\/plain/)
      expect(res.text).to.equal(text)
    }
    f.faults.set('mrd', {expireTokens: true})
    expect((await put(`/${deviceId}/metrics`, METRIC)).text).to.equal('token is expired\n')
  })

  it('400 with the Go decoder message for bad JSON and wrong JSON types', async () => {
    const wrongType = await put(`/${deviceId}/metrics`, {...METRIC, ttl: '60'})
    expect(wrongType.status).to.equal(400)
    expect(wrongType.body).to.deep.equal({
      errors: [{detail: 'json: cannot unmarshal string into Go struct field putMetricRequest.ttl of type int', title: 'Bad Request'}],
      status: 400,
    })
    const empty = await put(`/${deviceId}/metrics`, undefined, mrdToken, '')
    expect(empty.body).to.deep.equal({errors: [{detail: 'EOF', title: 'Bad Request'}], status: 400})
  })

  it('422 payloads in struct order, validtype last', async () => {
    const res = await put(`/${deviceId}/metrics`, {name: '  ', ttl: 0, type: 'int32', units: '<b>', value: 1.5})
    expect(res.status).to.equal(422)
    expect(res.body).to.deep.equal({
      errors: [
        {detail: 'name cannot be blank', source: 'name', status: 422, title: 'notblank'},
        {detail: `units cannot contain any of the following characters '<>'"&'`, source: 'units', status: 422, title: 'excludesall'},
        {detail: 'slope is a required field', source: 'slope', status: 422, title: 'required'},
        {detail: 'ttl is a required field', source: 'ttl', status: 422, title: 'required'},
        {detail: 'value is not valid for type int32', source: 'value', status: 422, title: 'validtype'},
      ],
      status: 422,
    })
    const oneof = await put(`/${deviceId}/metrics`, {name: 'x', slope: 'up', ttl: -5, type: 'int64'})
    expect((oneof.body as {errors: {detail: string}[]}).errors.map((e) => e.detail)).to.deep.equal([
      'value is a required field',
      'type must be one of [string int8 uint8 int16 uint16 int32 uint32 float double]',
      'slope must be one of [zero positive negative both derivative]',
      'ttl must be 1 or greater',
    ])
    const zero = await put(`/${deviceId}/metrics`, {...METRIC, value: 0})
    expect(zero.status).to.equal(200)
    const unsigned = await put(`/${deviceId}/metrics`, {...METRIC, type: 'uint8', value: -1})
    expect((unsigned.body as {errors: {title: string}[]}).errors[0].title).to.equal('validtype')
  })

  it('keeps the original negative-integer bug: int values are stored as |value|', async () => {
    await put(`/${deviceId}/metrics`, {...METRIC, name: 'temp', type: 'int32', value: -20})
    expect(f.state.metrics.latest(deviceId, 'temp')?.value).to.equal(20)
  })

  it('404 "Host Not Found" for unknown devices; a new device waits for the throttled DSM refresh', async () => {
    const res = await put('/no-such-device/metrics', METRIC)
    expect(res.status).to.equal(404)
    expect(res.body).to.deep.equal({errors: [{detail: 'adding host: Unknown host: no-such-device', title: 'Host Not Found'}], status: 404})
    now += 1000
    const fresh = String((await f.createDevice(instanceDevice('comp2', f.rack.id, 5))).id)
    expect((await put(`/${fresh}/metrics`, METRIC)).status).to.equal(404)
    now += 5000
    expect((await put(`/${fresh}/metrics`, METRIC)).status).to.equal(200)
  })

  it('read endpoints: 503 before the first processing run, then current and historic views', async () => {
    const base = f.mrd?.url ?? ''
    const early = await request(base, 'GET', '/metrics/current', {token: null})
    // The schedule started at fixture start; 6 s have passed of a 15 s step.
    expect(early.status).to.equal(503)
    expect(early.body).to.deep.equal({errors: [{detail: 'Waiting on metric processing run', title: 'Service Unavailable'}], status: 503})
    now += 15_000
    const current = await request(base, 'GET', '/mrd/metrics/current', {token: null})
    expect(current.status).to.equal(200)
    const cpu = (current.body as {id: string; nature: string}[]).find((m) => m.id === 'cpu_load')
    expect(cpu).to.deep.include({name: 'cpu_load', nature: 'volatile', units: '%'})
    const values = await request(base, 'GET', '/metrics/cpu_load/current', {token: null})
    expect((values.body as {id: string}[]).map((v) => v.id)).to.include(deviceId)
    const device = await request(base, 'GET', `/devices/${deviceId}/metrics/current`, {token: null})
    expect((device.body as {name: string}[]).map((m) => m.name)).to.include.members(['cpu_load', 'temp'])
    const history = await request(base, 'GET', `/devices/${deviceId}/metrics/cpu_load/historic/last/hour`, {token: null})
    expect(history.status).to.equal(200)
    const points = history.body as {timestamp: number; value: null | number}[]
    expect(points.length).to.be.within(240, 241)
    expect(points.some((p) => p.value !== null)).to.equal(true)
    const bad = await request(base, 'GET', `/metrics/cpu_load/historic/abc/123`, {token: null})
    expect(bad.status).to.equal(400)
    expect((bad.body as {errors: {detail: string}[]}).errors[0].detail).to.match(/^Time format 'abc' is not valid/)
    expect((await request(base, 'GET', '/status', {token: null})).text).to.equal('{"status":200}\n')
  })

  it('stale metrics (reported + ttl < run) leave the current view', async () => {
    await put(`/${deviceId}/metrics`, {...METRIC, name: 'short', ttl: 1})
    now += 15_000
    const first = await request(f.mrd?.url ?? '', 'GET', '/metrics/short/current', {token: null})
    expect(first.status).to.equal(200)
    now += 15_000
    const later = await request(f.mrd?.url ?? '', 'GET', '/metrics/short/current', {token: null})
    expect(later.status).to.equal(404)
  })

  it('chi answers 405 with no body on a known path and "404 page not found" otherwise', async () => {
    const wrongMethod = await request(f.mrd?.url ?? '', 'POST', `/${deviceId}/metrics`, {body: METRIC, token: mrdToken})
    expect(wrongMethod.status).to.equal(405)
    expect(wrongMethod.text).to.equal('')
    const unknown = await request(f.mrd?.url ?? '', 'GET', '/nope', {token: null})
    expect(unknown.status).to.equal(404)
    expect(unknown.text).to.equal('404 page not found\n')
  })
})
