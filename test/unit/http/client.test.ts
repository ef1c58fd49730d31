import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'
import {fileURLToPath} from 'node:url'

import {appendParams} from '../../../src/lib/http/client.js'
import {CallLedger, HttpClient, HttpError} from '../../../src/lib/http/index.js'
import {json, LocalServer} from '../../support/local-server.js'
import {failure} from '../../support/failure.js'

const rejection = async (p: Promise<unknown>): Promise<HttpError> => failure(p, HttpError)

const fast = {deadlineMs: 5000, maxInFlightPerHost: 4, maxRetryDelayMs: 3000, retries: 3, retryBaseMs: 10, timeoutMs: 2000}

describe('HttpClient (lib/http)', () => {
  let server: LocalServer
  let ledger: CallLedger

  beforeEach(async () => {
    server = await new LocalServer((_req, res) => json(res, 200, {ok: true})).start()
    ledger = new CallLedger()
  })
  afterEach(async () => {
    await server.stop()
  })

  function client(settings = {}, extra = {}): HttpClient {
    return new HttpClient({baseURL: server.url, ledger, settings: {...fast, ...settings}, system: 'test', ...extra})
  }

  // Reads and writes: one exchange (lib/http/exchange.ts), one policy for both.
  const methods: Array<[string, 'GET' | 'PUT', <T>(c: HttpClient, path: string) => Promise<{data: T}>]> = [
    ['a read', 'GET', async <T>(c: HttpClient, path: string) => c.get<T>(path)],
    ['a write', 'PUT', async <T>(c: HttpClient, path: string) => c.put<T>(path, {v: 1})],
  ]
  for (const [label, method, send] of methods) {
    it(`${label}: retries 503 then succeeds, and counts every attempt`, async () => {
      server.use((_req, res, _b, n) => (n < 3 ? json(res, 503, {message: 'busy'}) : json(res, 200, {ok: n})))
      const res = await send<{ok: number}>(client(), '/thing')
      expect(res.data.ok).to.equal(3)
      expect(server.requests).to.have.length(3)
      expect(ledger.total('test')).to.equal(3)
      expect(ledger.summary.find((r) => r.status === 503)?.count).to.equal(2)
    })

    it(`${label}: honours Retry-After on 429 (waits at least that long)`, async () => {
      server.use((_req, res, _b, n) => (n === 1 ? json(res, 429, {message: 'slow down'}, {'Retry-After': '1'}) : json(res, 200, {})))
      const started = Date.now()
      await send(client(), '/x')
      expect(Date.now() - started).to.be.at.least(950)
      expect(server.requests).to.have.length(2)
    })

    it(`${label}: does not wait for a Retry-After longer than max_retry_delay_ms: fails at once with the status`, async () => {
      server.use((_req, res) => json(res, 429, {message: 'come back tomorrow'}, {'Retry-After': '3600'}))
      const err = await rejection(send(client(), '/x'))
      expect(err.status).to.equal(429)
      expect(err.message).to.contain('come back tomorrow')
      expect(server.requests).to.have.length(1)
    })
    it(`${label}: does not retry 500 or 4xx`, async () => {
      server.use((_req, res) => json(res, 500, {error: {message: 'boom'}}))
      const err = await rejection(send(client(), '/x'))
      expect(err.status).to.equal(500)
      expect(err.serverMessage).to.equal('boom')
      expect(server.requests).to.have.length(1)
    })

    it(`${label}: times out a stalled attempt, retries it, and reports a timeout`, async () => {
      server.use(() => {
        /* never answers */
      })
      const err = await rejection(send(client({retries: 1, timeoutMs: 200}), '/stall'))
      expect(err.kind).to.equal('timeout')
      expect(server.requests).to.have.length(2)
    })

    it(`${label}: a stalled attempt followed by a good one succeeds`, async () => {
      server.use((_req, res, _b, n) => {
        if (n > 1) json(res, 200, {n})
      })
      const res = await send<{n: number}>(client({timeoutMs: 200}), '/x')
      expect(res.data.n).to.equal(2)
    })

    it(`${label}: enforces the total deadline across retries`, async () => {
      server.use((_req, res) => json(res, 503, {}))
      const err = await rejection(send(client({deadlineMs: 300, maxRetryDelayMs: 1000, retries: 10, retryBaseMs: 200}), '/x'))
      expect(['deadline', 'status']).to.include(err.kind)
      // 10 retries were allowed; the 300 ms deadline cut them short (delays of 200, 400… ms).
      expect(server.requests.length).to.be.within(1, 3)
    })

    it(`${label}: bounds the requests in flight per host`, async () => {
      server.use(async (_req, res) => {
        await new Promise((r) => {
          setTimeout(r, 50)
        })
        json(res, 200, {})
      })
      const c = client({maxInFlightPerHost: 3})
      await Promise.all(Array.from({length: 12}, (_, i) => send(c, `/x/${i}`)))
      expect(server.maxInFlight).to.be.at.most(3)
      expect(server.requests).to.have.length(12)
    })

    it(`${label}: connection refused: a network error that names the system and URL, with a hint`, async () => {
      const c = client({retries: 1})
      await server.stop()
      const err = await rejection(send(c, '/x'))
      expect(err.kind).to.equal('network')
      expect(err.message).to.match(new RegExp(String.raw`^test: ${method} http://127\.0\.0\.1:\d+/x could not connect \(ECONNREFUSED\)`))
      expect(err.hint).to.match(/check the URL/)
    })
  }

  // Which writes a 503 storm repeats: every method that is safe to repeat (a PATCH sets the same
  // fields again), and a POST only when the caller marks it idempotent.
  const retriedOn503: Array<[string, (c: HttpClient) => Promise<unknown>, number]> = [
    ['GET', async (c) => c.get('/x'), 4],
    ['PUT', async (c) => c.put('/x', {v: 1}), 4],
    ['PATCH', async (c) => c.patch('/x', {v: 1}), 4],
    ['DELETE', async (c) => c.delete('/x'), 4],
    ['POST', async (c) => c.post('/x', {v: 1}), 1],
    ['POST marked idempotent', async (c) => c.post('/x', {v: 1}, {idempotent: true}), 4],
  ]
  for (const [label, send, attempts] of retriedOn503) {
    it(`a 503 storm: ${label} is sent ${attempts} time(s)`, async () => {
      server.use((_req, res) => json(res, 503, {}))
      const err = await rejection(send(client()))
      expect(err.status).to.equal(503)
      expect(server.requests).to.have.length(attempts)
    })
  }

  it('does not retry a POST on 503 unless the caller marks it idempotent', async () => {
    server.use((_req, res) => json(res, 503, {}))
    const err = await rejection(client().post('/create', {a: 1}))
    expect(err.status).to.equal(503)
    expect(server.requests).to.have.length(1)
    server.requests.length = 0
    await rejection(client().post('/search', {a: 1}, {idempotent: true}))
    expect(server.requests).to.have.length(4)
  })

  it('retries a POST on 429 (the server did not process it)', async () => {
    server.use((_req, res, _b, n) => (n === 1 ? json(res, 429, {}, {'Retry-After': '0'}) : json(res, 201, {id: 1})))
    const res = await client().post('/create', {a: 1})
    expect(res.status).to.equal(201)
    expect(server.requests).to.have.length(2)
  })

  it('dry-run refuses writes before they leave the process, but lets read-only POSTs through', async () => {
    const c = client({}, {dryRun: true})
    const err = await rejection(c.put('/x', {}))
    expect(err.kind).to.equal('dry-run')
    await c.post('/search', {}, {readOnly: true})
    expect(server.requests.map((r) => r.method)).to.deep.equal(['POST'])
    expect(ledger.writes()).to.equal(0)
  })

  it('accept: listed statuses are answers, not errors', async () => {
    server.use((_req, res) => json(res, 404, {itemNotFound: {code: 404, message: 'gone'}}))
    const res = await client().get('/x', {accept: [404]})
    expect(res.status).to.equal(404)
  })

  it('a read follows a redirect; a write is never re-sent elsewhere and says where it was sent', async () => {
    server.use((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, {Location: '/new'})
        res.end()
        return
      }
      if (req.url === '/put') {
        res.writeHead(307, {Location: 'https://elsewhere.example/put'})
        res.end()
        return
      }
      json(res, 200, {at: req.url})
    })
    const got = await client().get<{at: string}>('/old')
    expect(got.data.at).to.equal('/new')
    const err = await rejection(client().put('/put', {a: 1}))
    expect(err.status).to.equal(307)
    expect(err.message).to.contain('was redirected (HTTP 307 to https://elsewhere.example/put)')
    expect(server.requests.filter((r) => r.method === 'PUT')).to.have.length(1)
  })

  it('a read sends its credentials on a redirect within the host, never to another host', async () => {
    const elsewhere = await new LocalServer((req, res) => json(res, 200, {at: req.url})).start()
    try {
      server.use((req, res) => {
        if (req.url === '/stacks/web') {
          res.writeHead(302, {Location: '/stacks/web/1234'})
          res.end()
          return
        }
        if (req.url === '/away') {
          res.writeHead(301, {Location: `${elsewhere.url}/landed`})
          res.end()
          return
        }
        json(res, 200, {at: req.url})
      })
      const secret = {'X-Auth-Token': 'tok-secret', Authorization: 'Bearer b-secret'}
      const near = await client().get<{at: string}>('/stacks/web', {headers: secret})
      expect(near.data.at).to.equal('/stacks/web/1234')
      expect(server.requests.map((r) => [r.url, r.headers['x-auth-token']])).to.deep.equal([
        ['/stacks/web', 'tok-secret'],
        ['/stacks/web/1234', 'tok-secret'],
      ])
      const far = await client().get<{at: string}>('/away', {headers: secret})
      expect(far.data.at).to.equal('/landed')
      expect(elsewhere.requests[0].headers['x-auth-token']).to.equal(undefined)
      expect(elsewhere.requests[0].headers.authorization).to.equal(undefined)
      expect(elsewhere.requests[0].headers.accept).to.equal('application/json')
      // One attempt each in the ledger, however many hops it took.
      expect(ledger.total('test')).to.equal(2)
    } finally {
      await elsewhere.stop()
    }
  })

  it('a read stops after 5 redirects: an error that says where it was sent, not a loop', async () => {
    server.use((req, res) => {
      const n = Number(req.url?.slice(1) ?? 0)
      res.writeHead(302, {Location: `/${n + 1}`})
      res.end()
    })
    const err = await rejection(client().get('/0'))
    expect(err.status).to.equal(302)
    expect(err.message).to.contain('was redirected (HTTP 302 to /6)')
    expect(server.requests).to.have.length(6)
  })

  it('a TLS failure is not retried (it is the same every time)', async () => {
    const c = new HttpClient({baseURL: server.url.replace('http:', 'https:'), ledger, settings: {...fast, retries: 3}, system: 'tls'})
    const err = await rejection(c.get('/x'))
    expect(err.kind).to.equal('tls')
    expect(ledger.total('tls')).to.equal(1)
  })

  it('query parameters: a GET sends them as axios did, after any query already in the URL', async () => {
    await client().get('/servers/detail?all_tenants=1', {params: {limit: 1000, marker: 'a b', 'changes-since': '2026-12-04T10:00:00Z', status: ['ACTIVE', 'SHUTOFF'], none: undefined}})
    expect(server.requests[0].url).to.equal('/servers/detail?all_tenants=1&limit=1000&marker=a+b&changes-since=2026-12-04T10:00:00Z&status=ACTIVE&status=SHUTOFF')
  })

  const paramCases: Array<[string, Record<string, boolean | number | string | string[] | undefined>, string]> = [
    ['nothing', {}, ''],
    ['only undefined', {a: undefined}, ''],
    ['a boolean', {detailed: true}, '?detailed=true'],
    ['reserved characters', {q: 'a&b=c/d?e#f+g%'}, '?q=a%26b%3Dc%2Fd%3Fe%23f%2Bg%25'],
    ['kept as axios keeps them', {t: 'x:y$z,[1]'}, '?t=x:y$z,[1]'],
    ['unicode', {name: 'café'}, '?name=caf%C3%A9'],
  ]
  for (const [label, params, search] of paramCases) {
    it(`appendParams: ${label}`, () => {
      const url = new URL('http://h/p')
      appendParams(url, params)
      expect(url.search).to.equal(search)
    })
  }

  it('an HTML error page gives its title as the message', async () => {
    server.use((_req, res) => {
      res.writeHead(502, {'Content-Type': 'text/html'})
      res.end('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>')
    })
    const err = await rejection(client({retries: 0}).get('/x'))
    expect(err.message).to.contain('502 Bad Gateway')
  })

  it('TLS verification is on: a plain-HTTP server behind https:// fails, it is not silently skipped', async () => {
    const c = new HttpClient({baseURL: server.url.replace('http:', 'https:'), settings: {...fast, retries: 0}, system: 'tls'})
    const err = await rejection(c.get('/x'))
    expect(err.kind).to.not.equal('status')
  })

  describe('over HTTPS (the fixture certificate, self-signed for 127.0.0.1)', () => {
    const caFile = fileURLToPath(new URL('../../fixtures/tls/cert.pem', import.meta.url))
    const keyFile = fileURLToPath(new URL('../../fixtures/tls/key.pem', import.meta.url))
    let https: ReturnType<typeof createHttpsServer>
    let base: string
    before(async () => {
      https = createHttpsServer({cert: readFileSync(caFile), key: readFileSync(keyFile)}, (_req, res) => json(res, 200, {tls: true}))
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
      base = `https://127.0.0.1:${(https.address() as AddressInfo).port}`
    })
    after(async () => {
      https.closeAllConnections()
      await new Promise((resolve) => https.close(resolve))
    })

    it("ca_file: the server's certificate is trusted (added to the bundled roots)", async () => {
      const c = new HttpClient({baseURL: base, settings: fast, system: 'tls', tls: {caFile}})
      expect((await c.get<{tls: boolean}>('/x')).data.tls).to.equal(true)
      expect((await c.put<{tls: boolean}>('/x', {a: 1})).data.tls).to.equal(true)
    })

    it('without ca_file: a TLS error with the hint, for a read and a write, not retried', async () => {
      const c = new HttpClient({baseURL: base, ledger, settings: {...fast, retries: 3}, system: 'tls'})
      for (const send of [async () => c.get('/x'), async () => c.put('/x', {a: 1})]) {
        const err = await rejection(send())
        expect(err.kind).to.equal('tls')
        expect(err.hint).to.contain('ca_file')
      }
      expect(ledger.total('tls')).to.equal(2)
    })

    it('insecure: true skips verification (only when the configuration says so)', async () => {
      const c = new HttpClient({baseURL: base, settings: fast, system: 'tls', tls: {insecure: true}})
      expect((await c.get<{tls: boolean}>('/x')).data.tls).to.equal(true)
    })
  })
})
