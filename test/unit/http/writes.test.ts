import {expect} from 'chai'
import {promisify} from 'node:util'
import zlib from 'node:zlib'

import {Deadline} from '../../../src/lib/http/deadline.js'
import {CallLedger, HttpClient, HttpError} from '../../../src/lib/http/index.js'
import {json, LocalServer} from '../../support/local-server.js'
import {failure} from '../../support/failure.js'

const rejection = async (p: Promise<unknown>): Promise<HttpError> => failure(p, HttpError)

// What a write sends and how its answers, timeouts and failures come back: the behaviour every
// client relies on (bodies, headers, compression, accept, per-attempt timeout, total deadline).
const fast = {deadlineMs: 5000, maxInFlightPerHost: 4, maxRetryDelayMs: 3000, retries: 1, retryBaseMs: 10, timeoutMs: 2000}

describe('HttpClient: writes and answers (lib/http)', () => {
  let server: LocalServer
  let ledger: CallLedger

  beforeEach(async () => {
    server = await new LocalServer((_req, res) => json(res, 200, {status: 200})).start()
    ledger = new CallLedger()
  })
  afterEach(async () => {
    await server.stop()
  })

  function client(settings = {}, extra = {}): HttpClient {
    return new HttpClient({baseURL: server.url, ledger, settings: {...fast, ...settings}, system: 'test', ...extra})
  }

  it('sends a JSON body with the headers axios sent, and parses the JSON answer', async () => {
    const res = await client({}, {headers: {'X-Extra': 'yes'}}).put<{status: number}>('/dev-1/metrics', {name: 'cpu_load', value: 1.5}, {headers: {Authorization: 'Bearer t'}})
    expect(res.data).to.deep.equal({status: 200})
    expect(res.headers['content-type']).to.equal('application/json')
    expect(res.url).to.equal(`${server.url}/dev-1/metrics`)
    const [req] = server.requests
    expect(req.method).to.equal('PUT')
    expect(req.url).to.equal('/dev-1/metrics')
    expect(JSON.parse(req.body)).to.deep.equal({name: 'cpu_load', value: 1.5})
    expect(req.headers).to.include({
      accept: 'application/json',
      'accept-encoding': 'gzip, compress, deflate, br',
      authorization: 'Bearer t',
      'content-length': String(Buffer.byteLength(req.body)),
      'content-type': 'application/json',
      'user-agent': 'concertim-os',
      'x-extra': 'yes',
    })
    expect(ledger.summary).to.deep.include({count: 1, method: 'PUT', status: 200, system: 'test', totalMs: ledger.summary[0].totalMs})
  })

  it('sends a Buffer or string body as it is, and gives a text answer as text', async () => {
    server.use((_req, res, body) => {
      res.writeHead(200, {'Content-Type': 'text/plain'})
      res.end(`got ${body}`)
    })
    const c = client()
    expect((await c.post('/raw', Buffer.from('bytés'), {responseType: 'text'})).data).to.equal('got bytés')
    expect((await c.patch('/raw', 'plain text', {headers: {'Content-Type': 'text/plain'}, responseType: 'text'})).data).to.equal('got plain text')
    expect(server.requests.map((r) => r.headers['content-length'])).to.deep.equal([String(Buffer.byteLength('bytés')), '10'])
    const empty = await c.delete('/thing', {responseType: 'text'})
    expect(empty.data).to.equal('got ')
  })

  it('an answer that is not JSON is given as text, a BOM is dropped', async () => {
    server.use((_req, res) => {
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end('\uFEFF{"a":1}')
    })
    expect((await client().put('/x', {})).data).to.deep.equal({a: 1})
    server.use((_req, res) => {
      res.writeHead(200)
      res.end('not json')
    })
    expect((await client().put('/x', {})).data).to.equal('not json')
  })

  for (const [encoding, label, encode] of [
    ['gzip', 'gzip', promisify(zlib.gzip)],
    ['deflate', 'zlib deflate', promisify(zlib.deflate)],
    ['deflate', 'raw deflate', promisify(zlib.deflateRaw)],
    ['br', 'brotli', promisify(zlib.brotliCompress)],
  ] as const) {
    it(`decodes a ${label} answer`, async () => {
      const body = await encode(Buffer.from(JSON.stringify({compressed: encoding})))
      server.use((_req, res) => {
        res.writeHead(200, {'Content-Encoding': encoding, 'Content-Type': 'application/json'})
        res.end(body)
      })
      const res = await client().put('/x', {})
      expect(res.data).to.deep.equal({compressed: encoding})
      expect(res.headers).to.not.have.property('content-encoding')
    })
  }

  it('a status outside 2xx and `accept` is an error with the server message; one in `accept` is an answer', async () => {
    server.use((_req, res) => json(res, 422, {errors: [{detail: 'value is bad', title: 'Invalid'}]}))
    const err = await rejection(client().put('/x', {}))
    expect(err.status).to.equal(422)
    expect(err.serverMessage).to.equal('value is bad')
    const ok = await client().put<{errors: unknown[]}>('/x', {}, {accept: [422]})
    expect(ok.status).to.equal(422)
    expect(ok.data.errors).to.have.length(1)
  })

  it('answerUnread: a successful answer is left as text (not parsed, even when not JSON); an error answer is parsed for its message', async () => {
    server.use((req, res) => (req.url === '/bad' ? json(res, 422, {errors: [{detail: 'cost is bad', title: 'Invalid'}]}) : json(res, 200, {device: {id: 'd1'}})))
    const ok = await client().patch('/ok', {device: {cost: '1.00'}}, {answerUnread: true})
    expect(ok.status).to.equal(200)
    expect(ok.data).to.equal('{"device":{"id":"d1"}}')
    server.use((_req, res) => {
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end('{not json')
    })
    expect((await client().patch('/ok', {}, {answerUnread: true})).data).to.equal('{not json')
    server.use((_req, res) => json(res, 422, {errors: [{detail: 'cost is bad', title: 'Invalid'}]}))
    const err = await rejection(client().patch('/bad', {}, {answerUnread: true}))
    expect(err.status).to.equal(422)
    expect(err.serverMessage).to.equal('cost is bad')
    expect(err.body).to.deep.equal({errors: [{detail: 'cost is bad', title: 'Invalid'}]})
  })

  it('times out an attempt whose answer never starts, retries the PUT, then reports a timeout', async () => {
    server.use(() => {
      /* never answers */
    })
    const err = await rejection(client({timeoutMs: 150}).put('/stall', {}))
    expect(err.kind).to.equal('timeout')
    expect(server.requests).to.have.length(2)
    expect(ledger.summary.map((r) => r.status)).to.deep.equal(['ETIMEDOUT'])
  })

  it('times out an answer that stops half-way (inactivity)', async () => {
    server.use((_req, res) => {
      res.writeHead(200, {'Content-Length': '100', 'Content-Type': 'application/json'})
      res.write('{"partial":')
    })
    const err = await rejection(client({retries: 0, timeoutMs: 150}).put('/half', {}))
    expect(err.kind).to.equal('timeout')
  })

  it('the total deadline cuts a single attempt short (timeout longer than the deadline), for a write and a read', async () => {
    server.use(() => {
      /* never answers */
    })
    const c = client({deadlineMs: 150, retries: 3, timeoutMs: 5000})
    const put = await rejection(c.put('/x', {}))
    expect(put.kind).to.equal('deadline')
    const get = await rejection(c.get('/x'))
    expect(get.kind).to.equal('deadline')
    expect(server.requests).to.have.length(2)
  })

  it('a connection closed in the middle of the answer is an error, not a hang', async () => {
    server.use((_req, res) => {
      res.writeHead(200, {'Content-Length': '100'})
      res.write('{"a":')
      setTimeout(() => res.socket?.destroy(), 20)
    })
    await rejection(client({retries: 0}).put('/x', {}))
  })

  it('connection refused on a write: retried (never sent), then a network error naming the URL', async () => {
    const c = client()
    await server.stop()
    const err = await rejection(c.put('/x', {a: 1}))
    expect(err.kind).to.equal('network')
    expect(err.code).to.equal('E_NET_ECONNREFUSED')
    expect(err.message).to.match(/^test: PUT http:\/\/127\.0\.0\.1:\d+\/x could not connect/)
    expect(ledger.total('test')).to.equal(2)
  })

  it('TLS is verified on writes too: https:// to a plain-HTTP server fails without sending', async () => {
    const c = new HttpClient({baseURL: server.url.replace('http:', 'https:'), settings: {...fast, retries: 0}, system: 'tls'})
    const err = await rejection(c.put('/x', {a: 1}))
    expect(['network', 'tls']).to.include(err.kind)
    expect(server.requests.filter((r) => r.method === 'PUT')).to.have.length(0)
  })

  it('a write with query parameters sends them as axios did (arrays as a repeated key)', async () => {
    await client().delete('/x', {params: {a: 1, b: ['p', 'q'], skip: undefined}})
    await client().post('/y', {}, {params: {autoCommit: true}})
    expect(server.requests.map((r) => r.url)).to.deep.equal(['/x?a=1&b=p&b=q', '/y?autoCommit=true'])
  })
})

describe('Deadline (lib/http)', () => {
  it('calls each listener once when it expires, and is aborted from then on', async () => {
    const deadline = new Deadline(10)
    const calls: string[] = []
    const gone = () => calls.push('gone')
    deadline.addEventListener('abort', () => calls.push('a'))
    deadline.addEventListener('abort', gone)
    deadline.addEventListener('abort', (e) => calls.push(e.type))
    deadline.removeEventListener('abort', gone)
    await new Promise((r) => {
      setTimeout(r, 40)
    })
    expect(deadline.aborted).to.equal(true)
    expect(calls).to.deep.equal(['a', 'abort'])
    deadline.addEventListener('abort', () => calls.push('late'))
    expect(calls).to.deep.equal(['a', 'abort'])
  })

  it('once disposed it never fires', async () => {
    const deadline = new Deadline(10)
    let fired = false
    deadline.addEventListener('abort', () => {
      fired = true
    })
    deadline.dispose()
    await new Promise((r) => {
      setTimeout(r, 40)
    })
    expect(fired).to.equal(false)
    expect(deadline.aborted).to.equal(false)
  })
})
