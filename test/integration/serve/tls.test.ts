/**
 * `serve` over HTTPS (api.tls_cert_file + api.tls_key_file): the app reaches it with the
 * certificate's CA, a client that does not trust it is refused by TLS, plain HTTP gets no answer,
 * and a half-given or unreadable pair is a configuration error naming the key.
 */
import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import type {AddressInfo} from 'node:net'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {SignJWT} from 'jose'
import {Agent, request} from 'undici'

import {createApiRuntime} from '../../../src/lib/api/runtime.js'
import {ConfigError} from '../../../src/lib/errors.js'
import {silentLogger} from '../../../src/lib/output/logger.js'
import {JWT_SECRET, type ServeWorld, startServeWorld} from './support.js'

const CERT = fileURLToPath(new URL('../../fixtures/tls/cert.pem', import.meta.url))
const KEY = fileURLToPath(new URL('../../fixtures/tls/key.pem', import.meta.url))

describe('serve over TLS (api.tls_cert_file, api.tls_key_file)', () => {
  let w: ServeWorld
  let port: number
  const trusting = new Agent({connect: {ca: readFileSync(CERT, 'utf8')}})
  const distrusting = new Agent({connect: {}})

  before(async () => {
    w = await startServeWorld({extraApi: {tls_cert_file: CERT, tls_key_file: KEY}})
    ;({port} = w.runtime.app.server.address() as AddressInfo)
  })
  after(async () => {
    await w.stop()
    await trusting.close()
    await distrusting.close()
  })

  it('answers over HTTPS to a client that trusts the certificate, with a token checked as over HTTP', async () => {
    const root = await request(`https://127.0.0.1:${port}/`, {dispatcher: trusting})
    expect(root.statusCode).to.equal(200)
    expect((await root.body.text()).trim()).to.equal('Running')
    const now = Math.floor(Date.now() / 1000)
    const token = await new SignJWT({}).setProtectedHeader({alg: 'HS256'}).setIssuedAt(now).setExpirationTime(now + 60).setJti(randomUUID()).sign(new TextEncoder().encode(JWT_SECRET))
    const stats = await request(`https://localhost:${port}/statistics`, {dispatcher: trusting, headers: {authorization: `Bearer ${token}`}})
    expect(stats.statusCode).to.equal(201)
    expect((await stats.body.json()) as Record<string, unknown>).to.have.property('success', true)
    const none = await request(`https://127.0.0.1:${port}/statistics`, {dispatcher: trusting})
    expect(none.statusCode).to.equal(401)
    await none.body.dump()
  })

  it('a client that does not trust the certificate is refused by TLS (verification is real)', async () => {
    let failure: unknown
    try {
      const r = await request(`https://127.0.0.1:${port}/`, {dispatcher: distrusting})
      await r.body.dump()
    } catch (error) {
      failure = error
    }
    expect(String((failure as {code?: string})?.code ?? failure)).to.match(/SELF_SIGNED|CERT|UNABLE_TO_VERIFY/)
  })

  it('plain HTTP on the HTTPS port gets no "Running"', async () => {
    let text = ''
    try {
      const r = await request(`http://127.0.0.1:${port}/`, {headersTimeout: 2000})
      text = await r.body.text()
      expect(r.statusCode).to.not.equal(200)
    } catch {
      // the TLS server drops a connection that does not start with a TLS handshake
    }
    expect(text).to.not.equal('Running')
  })

  const halves: Array<[string, Record<string, string>, string]> = [
    ['only the certificate', {tls_cert_file: CERT}, 'api.tls_key_file'],
    ['only the key', {tls_key_file: KEY}, 'api.tls_cert_file'],
    ['a certificate file that cannot be read', {tls_cert_file: '/nonexistent/cert.pem', tls_key_file: KEY}, 'api.tls_cert_file'],
  ]
  for (const [what, api, key] of halves) {
    it(`${what}: a configuration error naming ${key}, before anything listens`, () => {
      const config = {...w.config, api: {...w.config.api, tls_cert_file: undefined, tls_key_file: undefined, ...api}}
      let failure: unknown
      try {
        createApiRuntime(config, {logger: silentLogger}, silentLogger, {billing: null, identity: null, reconcileAfterAction: false})
      } catch (error) {
        failure = error
      }
      expect(failure).to.be.instanceOf(ConfigError)
      expect(String((failure as Error).message) + JSON.stringify(failure)).to.contain(key)
    })
  }
})
