import {expect} from 'chai'
import type {IncomingMessage, ServerResponse} from 'node:http'

import {HttpError} from '../../../src/lib/http/index.js'
import {createKillBill, KillBillClient, STACK_ID_FIELD} from '../../../src/lib/killbill/index.js'
import {json, LocalServer} from '../../support/local-server.js'

const fast = {deadlineMs: 5000, maxInFlightPerHost: 4, maxRetryDelayMs: 100, retries: 2, retryBaseMs: 5, timeoutMs: 2000}
const ACCOUNT_ID = '5b2c7a3e-0000-4000-8000-000000000001'
const SUB_ID = '5b2c7a3e-0000-4000-8000-0000000000aa'

interface Seen {
  body: unknown
  headers: IncomingMessage['headers']
  method: string
  path: string
  query: URLSearchParams
}

type Route = (s: Seen, res: ServerResponse) => void

function seenOf(req: IncomingMessage, raw: string): Seen {
  const url = new URL(req.url ?? '/', 'http://x')
  return {body: raw === '' ? undefined : JSON.parse(raw), headers: req.headers, method: req.method ?? 'GET', path: url.pathname, query: url.searchParams}
}

function killBillError(res: ServerResponse, status: number, code: number, message: string): void {
  json(res, status, {causeClassName: null, causeMessage: null, className: 'org.killbill.billing.usage.api.UsageApiException', code, message, stackTrace: []})
}

describe('KillBillClient (lib/killbill/client)', () => {
  let server: LocalServer
  let seen: Seen[]
  let route: Route
  let kb: KillBillClient

  beforeEach(async () => {
    seen = []
    route = (_s, res) => json(res, 200, {})
    server = await new LocalServer((req, res, raw) => {
      const s = seenOf(req, raw)
      seen.push(s)
      route(s, res)
    }).start()
    kb = new KillBillClient({apiHost: `${server.url}/`, apiKey: 'concertim', apiSecret: 'tenant-secret', password: 'kb-pass', username: 'admin'}, {settings: fast})
  })
  afterEach(async () => {
    await server.stop()
  })

  describe('headers', () => {
    it('every request: Basic auth and the tenant key and secret; reads carry no CreatedBy', async () => {
      route = (_s, res) => json(res, 200, {accountId: ACCOUNT_ID, name: 'team'})
      await kb.account(ACCOUNT_ID)
      const h = seen[0].headers
      expect(h.authorization).to.equal(`Basic ${Buffer.from('admin:kb-pass').toString('base64')}`)
      expect(h['x-killbill-apikey']).to.equal('concertim')
      expect(h['x-killbill-apisecret']).to.equal('tenant-secret')
      expect(h.accept).to.equal('application/json')
      expect(h['x-killbill-createdby']).to.equal(undefined)
      expect(seen[0].path).to.equal(`/1.0/kb/accounts/${ACCOUNT_ID}`)
    })

    it('writes: X-Killbill-CreatedBy concertim-os, plus reason and comment when given', async () => {
      route = (_s, res) => json(res, 200, [])
      await kb.addCustomFields('SUBSCRIPTION', SUB_ID, [{name: STACK_ID_FIELD, value: 'stack-1'}], {comment: 'tagged by sync', reason: 'order tag'})
      const h = seen[0].headers
      expect(h['x-killbill-createdby']).to.equal('concertim-os')
      expect(h['x-killbill-reason']).to.equal('order tag')
      expect(h['x-killbill-comment']).to.equal('tagged by sync')
      expect(seen[0].path).to.equal(`/1.0/kb/subscriptions/${SUB_ID}/customFields`)
      expect(seen[0].body).to.deep.equal([{name: 'openstack_stack_id', value: 'stack-1'}])
    })
  })

  describe('201 + Location', () => {
    it('createAccount follows the Location to return the account', async () => {
      route = (s, res) => {
        if (s.method === 'POST') {
          res.writeHead(201, {Location: `${server.url}/1.0/kb/accounts/${ACCOUNT_ID}`})
          return res.end()
        }
        json(res, 200, {accountId: ACCOUNT_ID, currency: 'USD', name: 'alice_team'})
      }
      const account = await kb.createAccount({billCycleDayLocal: 31, currency: 'USD', name: 'alice_team'})
      expect(account).to.deep.equal({accountId: ACCOUNT_ID, currency: 'USD', name: 'alice_team'})
      expect(seen.map((s) => `${s.method} ${s.path}`)).to.deep.equal(['POST /1.0/kb/accounts', `GET /1.0/kb/accounts/${ACCOUNT_ID}`])
      expect(seen[0].body).to.deep.equal({billCycleDayLocal: 31, currency: 'USD', name: 'alice_team'})
    })

    it('resolves a Location naming another host (behind a proxy) against the configured base URL', async () => {
      route = (s, res) => {
        if (s.method === 'POST') {
          res.writeHead(201, {Location: `http://killbill.internal:8080/1.0/kb/subscriptions/${SUB_ID}`})
          return res.end()
        }
        json(res, 200, {accountId: ACCOUNT_ID, state: 'ACTIVE', subscriptionId: SUB_ID})
      }
      const sub = await kb.createSubscription({accountId: ACCOUNT_ID, planName: 'openstack-standard-monthly'})
      expect(sub.subscriptionId).to.equal(SUB_ID)
      expect(seen[1].path).to.equal(`/1.0/kb/subscriptions/${SUB_ID}`)
      expect(seen[0].body).to.deep.equal({accountId: ACCOUNT_ID, planName: 'openstack-standard-monthly'})
    })

    it('a 201 without Location is an error', async () => {
      route = (_s, res) => {
        res.writeHead(201)
        res.end()
      }
      try {
        await kb.createAccount({currency: 'USD', name: 'x'})
        expect.fail('expected an error')
      } catch (error) {
        expect(error).to.be.instanceOf(HttpError)
        expect((error as HttpError).message).to.contain('without a Location')
      }
    })
  })

  describe('reads', () => {
    it('404 → null for account, account by external key, subscription, invoice', async () => {
      route = (_s, res) => json(res, 404, {code: 3000, message: 'Account does not exist'})
      expect(await kb.account(ACCOUNT_ID)).to.equal(null)
      expect(await kb.accountByExternalKey('ext-1')).to.equal(null)
      expect(await kb.subscription(SUB_ID)).to.equal(null)
      expect(await kb.invoice(SUB_ID)).to.equal(null)
      expect(seen[1].query.get('externalKey')).to.equal('ext-1')
    })

    it('asks for the credit balance with accountWithBalanceAndCBA', async () => {
      route = (_s, res) => json(res, 200, {accountCBA: 40, accountId: ACCOUNT_ID})
      expect((await kb.account(ACCOUNT_ID, {withBalanceAndCBA: true}))?.accountCBA).to.equal(40)
      expect(seen[0].query.get('accountWithBalanceAndCBA')).to.equal('true')
    })

    it('subscriptions of an account come from its bundles', async () => {
      route = (_s, res) =>
        json(res, 200, [
          {accountId: ACCOUNT_ID, bundleId: 'b1', subscriptions: [{accountId: ACCOUNT_ID, subscriptionId: 's1'}]},
          {accountId: ACCOUNT_ID, bundleId: 'b2', subscriptions: [{accountId: ACCOUNT_ID, subscriptionId: 's2'}, {accountId: ACCOUNT_ID, subscriptionId: 's3'}]},
        ])
      expect((await kb.accountSubscriptions(ACCOUNT_ID)).map((s) => s.subscriptionId)).to.deep.equal(['s1', 's2', 's3'])
      expect(seen[0].path).to.equal(`/1.0/kb/accounts/${ACCOUNT_ID}/bundles`)
    })
  })

  describe('paging', () => {
    const all = Array.from({length: 7}, (_, i) => ({accountId: `a${i}`}))

    it('follows X-Killbill-Pagination-NextOffset to the end', async () => {
      route = (s, res) => {
        const offset = Number(s.query.get('offset'))
        const limit = Number(s.query.get('limit'))
        const items = all.slice(offset, offset + limit)
        const headers: Record<string, string> = {'X-Killbill-Pagination-CurrentOffset': String(offset), 'X-Killbill-Pagination-TotalNbRecords': String(all.length)}
        if (offset + limit < all.length) {
          headers['X-Killbill-Pagination-NextOffset'] = String(offset + limit)
          headers['X-Killbill-Pagination-NextPageUri'] = `/1.0/kb/accounts/pagination?offset=${offset + limit}&limit=${limit}`
        }
        json(res, 200, items, headers)
      }
      const accounts = await kb.accounts(3)
      expect(accounts.map((a) => a.accountId)).to.deep.equal(all.map((a) => a.accountId))
      expect(seen.map((s) => s.query.get('offset'))).to.deep.equal(['0', '3', '6'])
      const page = await kb.accountsPage({limit: 3, offset: 3})
      expect(page).to.deep.include({nextOffset: 6, offset: 3, total: 7})
    })

    it('without paging headers, pages until a short page', async () => {
      route = (s, res) => {
        const offset = Number(s.query.get('offset'))
        json(res, 200, all.slice(offset, offset + Number(s.query.get('limit'))))
      }
      expect(await kb.accounts(7)).to.have.length(7)
      expect(seen.map((s) => s.query.get('offset'))).to.deep.equal(['0', '7'])
    })

    it('searches accounts by key, paged', async () => {
      route = (_s, res) => json(res, 200, [{accountId: 'a1'}], {'X-Killbill-Pagination-TotalNbRecords': '1'})
      const page = await kb.searchAccountsPage('alice team', {limit: 10})
      expect(page.items).to.have.length(1)
      expect(page.nextOffset).to.equal(undefined)
      expect(seen[0].path).to.equal('/1.0/kb/accounts/search/alice%20team')
    })
  })

  describe('custom fields', () => {
    it('subscriptionsForStack searches SUBSCRIPTION fields named openstack_stack_id with that value', async () => {
      route = (s, res) => {
        if (s.path === '/1.0/kb/customFields/search') {
          return json(res, 200, [
            {customFieldId: 'cf1', name: 'openstack_stack_id', objectId: SUB_ID, objectType: 'SUBSCRIPTION', value: 'stack-1'},
            {customFieldId: 'cf2', name: 'openstack_stack_id', objectId: 'gone', objectType: 'SUBSCRIPTION', value: 'stack-1'},
          ])
        }
        if (s.path === `/1.0/kb/subscriptions/${SUB_ID}`) return json(res, 200, {accountId: ACCOUNT_ID, state: 'ACTIVE', subscriptionId: SUB_ID})
        return json(res, 404, {message: 'not found'})
      }
      const subs = await kb.subscriptionsForStack('stack-1')
      expect(subs.map((s) => s.subscriptionId)).to.deep.equal([SUB_ID])
      const q = seen[0].query
      expect([q.get('objectType'), q.get('fieldName'), q.get('fieldValue')]).to.deep.equal(['SUBSCRIPTION', 'openstack_stack_id', 'stack-1'])
    })

    it('adding fields follows the Location to the object custom fields', async () => {
      route = (s, res) => {
        if (s.method === 'POST') {
          res.writeHead(201, {Location: `${server.url}/1.0/kb/accounts/${ACCOUNT_ID}/customFields`})
          return res.end()
        }
        json(res, 200, [{name: 'project_cloud_id', objectId: ACCOUNT_ID, objectType: 'ACCOUNT', value: 'p1'}])
      }
      const fields = await kb.addCustomFields('ACCOUNT', ACCOUNT_ID, [{name: 'project_cloud_id', value: 'p1'}])
      expect(fields[0].value).to.equal('p1')
      expect(seen[1].path).to.equal(`/1.0/kb/accounts/${ACCOUNT_ID}/customFields`)
    })
  })

  describe('usage', () => {
    const record = {
      subscriptionId: SUB_ID,
      trackingId: 'concertim-os:2024-05-20:stack-1:instance',
      unitUsageRecords: [{unitType: 'openstack-billed-instance', usageRecords: [{amount: 1.5, recordDate: '2024-05-20'}]}],
    }

    it('records usage with its trackingId', async () => {
      route = (_s, res) => {
        res.writeHead(201)
        res.end()
      }
      expect(await kb.recordUsage(record)).to.equal('recorded')
      expect(seen[0].path).to.equal('/1.0/kb/usages')
      expect(seen[0].body).to.deep.equal(record)
      expect(seen[0].headers['x-killbill-createdby']).to.equal('concertim-os')
    })

    it('a duplicate trackingId (400, code 50000) means already recorded: success', async () => {
      route = (_s, res) => killBillError(res, 400, 50_000, `A usage record with tracking ID ${record.trackingId} already exists`)
      expect(await kb.recordUsage(record)).to.equal('duplicate')
    })

    it('other 400s fail', async () => {
      route = (_s, res) => killBillError(res, 400, 1001, 'Subscription does not exist')
      try {
        await kb.recordUsage(record)
        expect.fail('expected an error')
      } catch (error) {
        expect((error as HttpError).status).to.equal(400)
        expect((error as HttpError).message).to.contain('Subscription does not exist')
      }
    })

    it('is retried on 503 (safe thanks to the trackingId), and a retry answered "duplicate" is a success', async () => {
      let n = 0
      route = (_s, res) => (++n === 1 ? json(res, 503, {}) : killBillError(res, 400, 50_000, 'A usage record with tracking ID x already exists'))
      expect(await kb.recordUsage(record)).to.equal('duplicate')
      expect(seen).to.have.length(2)
    })

    it('refuses an empty trackingId', async () => {
      try {
        await kb.recordUsage({...record, trackingId: ' '})
        expect.fail('expected an error')
      } catch (error) {
        expect(error).to.be.instanceOf(RangeError)
      }
      expect(seen).to.have.length(0)
    })

    it('reads rolled-up usage for a date range', async () => {
      route = (_s, res) => json(res, 200, {rolledUpUnits: [{amount: 4, unitType: 'openstack-billed-instance'}], subscriptionId: SUB_ID})
      const usage = await kb.usage(SUB_ID, 'openstack-billed-instance', {endDate: '2024-06-01', startDate: '2024-05-01'})
      expect(usage.rolledUpUnits[0].amount).to.equal(4)
      expect(seen[0].path).to.equal(`/1.0/kb/usages/${SUB_ID}/openstack-billed-instance`)
      expect([seen[0].query.get('startDate'), seen[0].query.get('endDate')]).to.deep.equal(['2024-05-01', '2024-06-01'])
    })
  })

  describe('credits and invoices', () => {
    it('adds a credit with autoCommit=true; a 200 answer carries the items', async () => {
      route = (_s, res) => json(res, 200, [{accountId: ACCOUNT_ID, amount: -50, currency: 'USD', itemType: 'CREDIT_ADJ'}])
      const items = await kb.addCredit({accountId: ACCOUNT_ID, amount: 50, description: 'Credits added in Concertim'}, {reason: 'Credits added in Concertim'})
      expect(items[0].amount).to.equal(-50)
      expect(seen[0].query.get('autoCommit')).to.equal('true')
      expect(seen[0].body).to.deep.equal([{accountId: ACCOUNT_ID, amount: 50, currency: 'USD', description: 'Credits added in Concertim'}])
      expect(seen[0].headers['x-killbill-reason']).to.equal('Credits added in Concertim')
    })

    it('an older Kill Bill answering 201 + Location: the credit is read back', async () => {
      route = (s, res) => {
        if (s.method === 'POST') {
          res.writeHead(201, {Location: `${server.url}/1.0/kb/credits/c1`})
          return res.end()
        }
        json(res, 200, {amount: 10, invoiceItemId: 'c1'})
      }
      expect(await kb.addCredit({accountId: ACCOUNT_ID, amount: 10})).to.deep.equal([{amount: 10, invoiceItemId: 'c1'}])
    })

    it('dry-run invoice: POST with UPCOMING_INVOICE, allowed under --dry-run; 204 → null', async () => {
      const dry = new KillBillClient({apiHost: server.url, apiKey: 'k', apiSecret: 's', password: 'p', username: 'u'}, {dryRun: true, settings: fast})
      route = (_s, res) => json(res, 200, {accountId: ACCOUNT_ID, amount: 12, balance: 12, currency: 'USD', invoiceId: 'i1', items: []})
      const invoice = await dry.dryRunInvoice(ACCOUNT_ID, {targetDate: '2024-05-31'})
      expect(invoice?.amount).to.equal(12)
      expect(seen[0].method).to.equal('POST')
      expect(seen[0].path).to.equal('/1.0/kb/invoices/dryRun')
      expect(seen[0].query.get('accountId')).to.equal(ACCOUNT_ID)
      expect(seen[0].query.get('targetDate')).to.equal('2024-05-31')
      expect(seen[0].body).to.deep.equal({dryRunType: 'UPCOMING_INVOICE'})
      route = (_s, res) => {
        res.writeHead(204)
        res.end()
      }
      expect(await dry.dryRunInvoice(ACCOUNT_ID)).to.equal(null)
    })

    it('writes are refused under --dry-run', async () => {
      const dry = new KillBillClient({apiHost: server.url, apiKey: 'k', apiSecret: 's', password: 'p', username: 'u'}, {dryRun: true, settings: fast})
      try {
        await dry.addCredit({accountId: ACCOUNT_ID, amount: 1})
        expect.fail('expected an error')
      } catch (error) {
        expect((error as HttpError).kind).to.equal('dry-run')
      }
      expect(seen).to.have.length(0)
    })

    it('lists invoices of an account, and a page of them', async () => {
      route = (_s, res) => json(res, 200, [{accountId: ACCOUNT_ID, amount: 1, balance: 0, currency: 'USD', invoiceId: 'i1'}], {'X-Killbill-Pagination-TotalNbRecords': '1'})
      expect(await kb.accountInvoices(ACCOUNT_ID)).to.have.length(1)
      expect(seen[0].path).to.equal(`/1.0/kb/accounts/${ACCOUNT_ID}/invoices`)
      const page = await kb.accountInvoicesPage(ACCOUNT_ID, {limit: 5})
      expect(page.total).to.equal(1)
      expect(seen[1].path).to.equal(`/1.0/kb/accounts/${ACCOUNT_ID}/invoices/pagination`)
    })
  })

  describe('createKillBill', () => {
    it('reads the original keys, strips a trailing /1.0/kb, and applies defaults', () => {
      const k = createKillBill({api_host: 'http://kb.example:8080/1.0/kb/', apikey: 'k', apisecret: 's', password: 'p', username: 'u'})
      expect(k.client.baseUrl).to.equal('http://kb.example:8080')
      expect(k.planName).to.equal('openstack-standard-monthly')
      expect(k.creditThreshold).to.equal(25)
      const k2 = createKillBill({api_host: 'http://kb.example:8080', credit_threshold: 10, plan_name: 'gold'})
      expect(k2.planName).to.equal('gold')
      expect(k2.creditThreshold).to.equal(10)
    })
  })
})
