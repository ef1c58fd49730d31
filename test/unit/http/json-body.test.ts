import {expect} from 'chai'

import {CallLedger, HttpClient, HttpError} from '../../../src/lib/http/index.js'
import {decodeBody, parseLenientJson, UnparsableBody} from '../../../src/lib/http/json-body.js'
import {failure} from '../../support/failure.js'
import {LocalServer} from '../../support/local-server.js'

describe('http/json-body: bodies that say they are JSON', () => {
  const cases: Array<[string, string, unknown]> = [
    ['plain JSON', '[1, 2]', [1, 2]],
    ["Gnocchi 4.4's bare NaN (a new series) is no data", '[["2026-12-04T10:00:00+00:00", 60.0, NaN], ["2026-12-04T10:01:00+00:00", 60.0, 2.5]]', [['2026-12-04T10:00:00+00:00', 60, null], ['2026-12-04T10:01:00+00:00', 60, 2.5]]],
    ['Infinity and -Infinity likewise', '{"a": Infinity, "b": -Infinity}', {a: null, b: null}],
    ['NaN inside a string stays text', '{"note": "NaN or Infinity", "v": NaN}', {note: 'NaN or Infinity', v: null}],
    ['escaped quotes do not confuse it', String.raw`{"s": "a \"NaN\" b", "v": NaN}`, {s: 'a "NaN" b', v: null}],
  ]
  for (const [name, text, value] of cases) {
    it(name, () => {
      expect(parseLenientJson(text)).to.deep.equal(value)
      expect(decodeBody(text, 'application/json')).to.deep.equal(value)
    })
  }

  it('a body claiming JSON that does not parse is an error, never an empty answer', () => {
    expect(() => decodeBody('<html>502 Bad Gateway</html>', 'application/json; charset=UTF-8')).to.throw(UnparsableBody, /does not parse: <html>/)
    expect(() => decodeBody('[1, 2', 'application/vnd.api+json')).to.throw(UnparsableBody)
  })

  it('a body that does not claim JSON stays text; empty stays empty', () => {
    expect(decodeBody('Running', 'text/plain')).to.equal('Running')
    expect(decodeBody('', 'application/json')).to.equal('')
  })

  describe('through HttpClient (a GET and a read-only POST)', () => {
    let server: LocalServer
    afterEach(async () => {
      await server.stop()
    })
    const client = () => new HttpClient({baseURL: server.url, ledger: new CallLedger(), settings: {deadlineMs: 5000, retries: 0, timeoutMs: 2000}, system: 'gnocchi'})
    const send = (res: import('node:http').ServerResponse, body: string) => {
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end(body)
    }

    it('a GET and a POST answered with NaN give null points', async () => {
      server = await new LocalServer((_req, res) => send(res, '[["t", 60.0, NaN]]')).start()
      expect((await client().get('/v1/metric/x/measures')).data).to.deep.equal([['t', 60, null]])
      expect((await client().request({body: {operations: 'x'}, method: 'POST', readOnly: true, url: '/v1/aggregates'})).data).to.deep.equal([['t', 60, null]])
    })

    it('a GET and a POST answered with broken JSON fail with a typed error naming the system', async () => {
      server = await new LocalServer((_req, res) => send(res, '[["t", 60.0, oops]]')).start()
      const read = await failure(client().get('/v1/metric/x/measures'), HttpError)
      expect(read.code).to.equal('E_HTTP_BAD_BODY')
      expect(read.message).to.match(/^gnocchi: GET .* does not parse/)
      const post = await failure(client().request({body: {}, method: 'POST', readOnly: true, url: '/v1/aggregates'}), HttpError)
      expect(post.code).to.equal('E_HTTP_BAD_BODY')
    })
  })
})
