import {expect} from 'chai'
import type {ServerResponse} from 'node:http'

import {type Metric, MrdClient, type TokenSource} from '../../../src/lib/concertim/mrd.js'
import {HttpError} from '../../../src/lib/http/index.js'
import {json, LocalServer} from '../../support/local-server.js'

const fast = {deadlineMs: 5000, maxInFlightPerHost: 4, maxRetryDelayMs: 100, retries: 2, retryBaseMs: 5, timeoutMs: 2000}
const metric: Metric = {name: 'cpu_load', slope: 'both', ttl: 3600, type: 'double', units: '%', value: 12.5}

/** Tokens `t1`, `t2`, … as the app login would hand them out. */
class Tokens implements TokenSource {
  logins = 0
  private current: string | undefined

  async bearerToken(): Promise<string> {
    if (this.current === undefined) await this.renewToken('')
    return this.current as string
  }

  async renewToken(stale: string): Promise<string> {
    if (this.current !== undefined && this.current !== stale) return this.current
    this.current = `t${++this.logins}`
    return this.current
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {'Content-Type': 'text/plain; charset=utf-8'})
  res.end(body)
}

describe('MrdClient (lib/concertim/mrd)', () => {
  let server: LocalServer
  let tokens: Tokens
  let mrd: MrdClient

  beforeEach(async () => {
    server = await new LocalServer((_req, res) => json(res, 200, {status: 200})).start()
    tokens = new Tokens()
    mrd = new MrdClient(`${server.url}/mrd/`, tokens, {settings: fast})
  })
  afterEach(async () => {
    await server.stop()
  })

  it('PUTs one metric to {mrd_url}/{deviceId}/metrics with the bearer token: ok on 200', async () => {
    expect(await mrd.putMetric('7c9e-uuid', metric)).to.deep.equal({status: 'ok'})
    const req = server.requests[0]
    expect(req.method).to.equal('PUT')
    expect(req.url).to.equal('/mrd/7c9e-uuid/metrics')
    expect(req.headers.authorization).to.equal('Bearer t1')
    expect(req.headers['content-type']).to.match(/^application\/json/)
    expect(JSON.parse(req.body)).to.deep.equal({name: 'cpu_load', slope: 'both', ttl: 3600, type: 'double', units: '%', value: 12.5})
  })

  it('value stays a JSON number and ttl an integer', async () => {
    await mrd.putMetric('d1', {...metric, ttl: 60.9, value: 0})
    expect(server.requests[0].body).to.equal('{"name":"cpu_load","slope":"both","ttl":60,"type":"double","units":"%","value":0}')
  })

  it('404 "Host Not Found" is an unknown device, not an error', async () => {
    server.use((_req, res) => json(res, 404, {errors: [{detail: 'adding host: Unknown host: d9', title: 'Host Not Found'}], status: 404}))
    expect(await mrd.putMetric('d9', metric)).to.deep.equal({message: 'adding host: Unknown host: d9', status: 'unknown-device'})
  })

  it("chi's text 404 (wrong mrd_url) is an error with a hint", async () => {
    server.use((_req, res) => text(res, 404, '404 page not found\n'))
    try {
      await mrd.putMetric('d1', metric)
      expect.fail('expected an error')
    } catch (error) {
      expect(error).to.be.instanceOf(HttpError)
      expect((error as HttpError).hint).to.contain('mrd_url')
    }
  })

  it('422 is invalid, with the MRD messages per field', async () => {
    server.use((_req, res) =>
      json(res, 422, {
        errors: [
          {detail: 'ttl must be 1 or greater', source: 'ttl', status: 422, title: 'min'},
          {detail: 'value is not valid for type int32', source: 'value', status: 422, title: 'validtype'},
        ],
        status: 422,
      }),
    )
    expect(await mrd.putMetric('d1', {...metric, ttl: 0, type: 'int32', value: 1.5})).to.deep.equal({
      problems: [
        {field: 'ttl', message: 'ttl must be 1 or greater'},
        {field: 'value', message: 'value is not valid for type int32'},
      ],
      status: 'invalid',
    })
  })

  it('400 (undecodable body) is invalid too', async () => {
    server.use((_req, res) => json(res, 400, {errors: [{detail: 'json: cannot unmarshal string into Go struct field putMetricRequest.ttl of type int', title: 'Bad Request'}], status: 400}))
    const result = await mrd.putMetric('d1', metric)
    expect(result.status).to.equal('invalid')
  })

  it('401 (text/plain) renews the token and repeats once', async () => {
    server.use((req, res) => (req.headers.authorization === 'Bearer t1' ? text(res, 401, 'token is expired\n') : json(res, 200, {status: 200})))
    expect(await mrd.putMetric('d1', metric)).to.deep.equal({status: 'ok'})
    expect(server.requests.map((r) => r.headers.authorization)).to.deep.equal(['Bearer t1', 'Bearer t2'])
    expect(tokens.logins).to.equal(2)
  })

  it('a second 401 is an error', async () => {
    server.use((_req, res) => text(res, 401, 'token is unauthorized\n'))
    try {
      await mrd.putMetric('d1', metric)
      expect.fail('expected an error')
    } catch (error) {
      expect((error as HttpError).status).to.equal(401)
      expect((error as HttpError).serverMessage).to.equal('token is unauthorized')
      // A token the app has just issued: not the login's credentials but the secret the two share.
      expect((error as HttpError).hint).to.match(/JWT secret/)
      expect((error as HttpError).hint).not.to.match(/credentials/)
    }
    expect(server.requests).to.have.length(2)
  })

  it('refuses a NaN value before sending (JSON has no NaN)', async () => {
    const result = await mrd.putMetric('d1', {...metric, value: Number.NaN})
    expect(result.status).to.equal('invalid')
    expect(server.requests).to.have.length(0)
  })

  it('is refused under dry-run (a write)', async () => {
    const dry = new MrdClient(server.url, tokens, {dryRun: true, settings: fast})
    try {
      await dry.putMetric('d1', metric)
      expect.fail('expected an error')
    } catch (error) {
      expect((error as HttpError).kind).to.equal('dry-run')
    }
    expect(server.requests).to.have.length(0)
  })
})
