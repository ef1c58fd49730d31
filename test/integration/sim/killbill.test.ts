/**
 * Conformance of the simulated Kill Bill server (openstack-anchors.md §11, original-service.md §7):
 * authentication, accounts, subscriptions, custom fields, usage, credits, invoices and dry runs.
 */
import {expect} from 'chai'

import {createKillBillApp} from '../../../src/sim/killbill/app.js'
import {KillBillState} from '../../../src/sim/killbill/state.js'
import {listen, type RunningServer} from '../../../src/sim/http-app.js'

const AUTH = {apiKey: 'bob', apiSecret: 'lazar', password: 'password', username: 'admin'}

interface KbReply {
  body: unknown
  headers: Headers
  status: number
  text: string
}

describe('sim killbill', () => {
  const state = new KillBillState({now: () => Date.parse('2024-05-15T10:00:00Z')})
  let server: RunningServer

  before(async () => {
    server = await listen(createKillBillApp(state, AUTH).listener())
  })
  after(() => server.close())

  async function kb(method: string, path: string, opts: {body?: unknown; headers?: Record<string, string>} = {}): Promise<KbReply> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Basic ${Buffer.from('admin:password').toString('base64')}`,
      'X-Killbill-ApiKey': 'bob',
      'X-Killbill-ApiSecret': 'lazar',
      ...(method === 'GET' ? {} : {'X-Killbill-CreatedBy': 'concertim-os'}),
      ...opts.headers,
    }
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(server.url + path, {body: opts.body === undefined ? undefined : JSON.stringify(opts.body), headers, method})
    const text = await res.text()
    return {body: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers, status: res.status, text}
  }

  const idFrom = (res: KbReply) => (res.headers.get('location') ?? '').split('/').at(-1) ?? ''

  async function account(externalKey: string): Promise<string> {
    const res = await kb('POST', '/1.0/kb/accounts', {body: {billCycleDayLocal: 31, currency: 'USD', externalKey, name: externalKey}})
    expect(res.status).to.equal(201)
    return idFrom(res)
  }

  describe('authentication and required headers', () => {
    it('401 without Basic auth (WWW-Authenticate), with wrong credentials, or without the tenant keys', async () => {
      const noAuth = await fetch(`${server.url}/1.0/kb/accounts/pagination`)
      expect(noAuth.status).to.equal(401)
      expect(noAuth.headers.get('www-authenticate')).to.match(/^BASIC realm=/)
      const wrong = await kb('GET', '/1.0/kb/accounts/pagination', {headers: {Authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}`}})
      expect(wrong.status).to.equal(401)
      const noTenant = await kb('GET', '/1.0/kb/accounts/pagination', {headers: {'X-Killbill-ApiSecret': 'wrong'}})
      expect(noTenant.status).to.equal(401)
    })

    it('writes without X-Killbill-CreatedBy: 400 with the error JSON', async () => {
      const res = await kb('POST', '/1.0/kb/accounts', {body: {name: 'x'}, headers: {'X-Killbill-CreatedBy': ''}})
      expect(res.status).to.equal(400)
      expect(res.body).to.deep.equal({
        causeClassName: null,
        causeMessage: null,
        className: 'java.lang.IllegalArgumentException',
        code: null,
        message: 'Header X-Killbill-CreatedBy needs to be set',
        stackTrace: [],
      })
    })
  })

  describe('accounts', () => {
    let id: string
    before(async () => {
      id = await account('team-alpha')
    })

    it('create: 201 with a Location ending in the account id, no body', async () => {
      expect(id).to.match(/^[\da-f-]{36}$/)
      expect(state.accounts.get(id)).to.include({currency: 'USD', externalKey: 'team-alpha', name: 'team-alpha'})
    })

    it('a duplicate external key: 409 ACCOUNT_ALREADY_EXISTS', async () => {
      const res = await kb('POST', '/1.0/kb/accounts', {body: {externalKey: 'team-alpha', name: 'again'}})
      expect(res.status).to.equal(409)
      expect(res.body).to.deep.include({className: 'org.killbill.billing.account.api.AccountApiException', code: 3000, message: 'Account already exists for key team-alpha'})
    })

    it('get by id (with balance and CBA on request), by external key, list and search', async () => {
      const plain = await kb('GET', `/1.0/kb/accounts/${id}`)
      expect(plain.status).to.equal(200)
      expect(plain.body).to.include({accountBalance: null, accountCBA: null, accountId: id, billCycleDayLocal: 31, externalKey: 'team-alpha'})
      const withCba = await kb('GET', `/1.0/kb/accounts/${id}?accountWithBalanceAndCBA=true`)
      expect(withCba.body).to.include({accountBalance: 0, accountCBA: 0})
      const byKey = await kb('GET', '/1.0/kb/accounts?externalKey=team-alpha')
      expect((byKey.body as {accountId: string}).accountId).to.equal(id)
      await account('team-beta')
      const list = await kb('GET', '/1.0/kb/accounts/pagination?offset=0&limit=1')
      expect(list.body).to.have.lengthOf(1)
      expect(list.headers.get('x-killbill-pagination-totalnbrecords')).to.equal('2')
      expect(list.headers.get('x-killbill-pagination-nextoffset')).to.equal('1')
      const search = await kb('GET', '/1.0/kb/accounts/search/beta')
      expect((search.body as {externalKey: string}[]).map((a) => a.externalKey)).to.deep.equal(['team-beta'])
    })

    it('404 with the error JSON for unknown ids and keys; 400 for a malformed id', async () => {
      const missing = await kb('GET', '/1.0/kb/accounts/00000000-0000-4000-8000-000000000000')
      expect(missing.status).to.equal(404)
      expect(missing.body).to.deep.include({code: 3002, message: 'Account does not exist for id 00000000-0000-4000-8000-000000000000'})
      const key = await kb('GET', '/1.0/kb/accounts?externalKey=nope')
      expect(key.status).to.equal(404)
      expect(key.body).to.deep.include({code: 3003})
      expect((await kb('GET', '/1.0/kb/accounts/not-a-uuid')).status).to.equal(400)
    })
  })

  describe('subscriptions and custom fields', () => {
    let accountId: string
    let subId: string
    before(async () => {
      accountId = await account('team-subs')
    })

    it('create by plan name: 201 + Location; get shows it ACTIVE; account bundles list it', async () => {
      const res = await kb('POST', '/1.0/kb/subscriptions', {body: {accountId, planName: 'openstack-standard-monthly'}})
      expect(res.status).to.equal(201)
      subId = idFrom(res)
      const sub = await kb('GET', `/1.0/kb/subscriptions/${subId}`)
      expect(sub.body).to.include({accountId, planName: 'openstack-standard-monthly', productCategory: 'BASE', state: 'ACTIVE', subscriptionId: subId})
      const bundles = await kb('GET', `/1.0/kb/accounts/${accountId}/bundles`)
      expect((bundles.body as {subscriptions: {subscriptionId: string}[]}[])[0].subscriptions[0].subscriptionId).to.equal(subId)
      const unknownPlan = await kb('POST', '/1.0/kb/subscriptions', {body: {accountId, planName: 'gold'}})
      expect(unknownPlan.status).to.equal(400)
      expect(unknownPlan.body).to.deep.include({code: 2021})
    })

    it('custom fields: add (201, Location …/{id}/customFields), get, and search like the original service', async () => {
      const add = await kb('POST', `/1.0/kb/subscriptions/${subId}/customFields`, {
        body: [{name: 'openstack_stack_id', value: 'stack-42'}, {name: 'openstack_stack_name', value: 'demo'}],
      })
      expect(add.status).to.equal(201)
      expect((add.headers.get('location') ?? '').split('/').at(-2)).to.equal(subId)
      const fields = await kb('GET', `/1.0/kb/subscriptions/${subId}/customFields`)
      expect((fields.body as {name: string; objectType: string; value: string}[]).map((x) => [x.objectType, x.name, x.value])).to.deep.equal([
        ['SUBSCRIPTION', 'openstack_stack_id', 'stack-42'],
        ['SUBSCRIPTION', 'openstack_stack_name', 'demo'],
      ])
      const byKey = await kb('GET', '/1.0/kb/customFields/search/stack-42')
      expect((byKey.body as {objectId: string}[]).map((x) => x.objectId)).to.deep.equal([subId])
      const byName = await kb('GET', '/1.0/kb/customFields/search?objectType=SUBSCRIPTION&fieldName=openstack_stack_id&fieldValue=stack-42')
      expect((byName.body as {objectId: string}[]).map((x) => x.objectId)).to.deep.equal([subId])
      const acct = await kb('POST', `/1.0/kb/accounts/${accountId}/customFields`, {body: [{name: 'project_cloud_id', value: 'proj-1'}]})
      expect(acct.status).to.equal(201)
      const none = await kb('GET', '/1.0/kb/customFields/search?objectType=ACCOUNT&fieldName=openstack_stack_id')
      expect(none.body).to.deep.equal([])
    })

    it('state.addSubscription tags the subscription with the stack id custom field', () => {
      const sub = state.addSubscription({accountId, planName: 'openstack-standard-monthly', stackId: 'stack-99'})
      expect(state.customFieldsOf(sub.subscriptionId).map((x) => [x.name, x.value])).to.deep.equal([['openstack_stack_id', 'stack-99']])
      expect(state.subscriptionForStack('stack-99')?.subscriptionId).to.equal(sub.subscriptionId)
    })

    it('cancel: 204, then state CANCELLED', async () => {
      const sub = state.addSubscription({accountId, planName: 'openstack-standard-monthly'})
      expect((await kb('DELETE', `/1.0/kb/subscriptions/${sub.subscriptionId}`)).status).to.equal(204)
      expect(((await kb('GET', `/1.0/kb/subscriptions/${sub.subscriptionId}`)).body as {state: string}).state).to.equal('CANCELLED')
    })
  })

  describe('usage', () => {
    let subId: string
    before(async () => {
      const accountId = await account('team-usage')
      subId = idFrom(await kb('POST', '/1.0/kb/subscriptions', {body: {accountId, planName: 'openstack-standard-monthly'}}))
    })

    const usage = (trackingId: string, amount: number, recordDate = '2024-05-15T23:59:59Z') => ({
      subscriptionId: subId,
      trackingId,
      unitUsageRecords: [{unitType: 'openstack-billed-instance', usageRecords: [{amount, recordDate}]}],
    })

    it('records usage (201, as UsageResource) and rolls it up as a sum over [startDate, endDate)', async () => {
      expect((await kb('POST', '/1.0/kb/usages', {body: usage('t1', 2.5)})).status).to.equal(201)
      expect((await kb('POST', '/1.0/kb/usages', {body: usage('t2', -0.5)})).status).to.equal(201)
      expect((await kb('POST', '/1.0/kb/usages', {body: usage('t3', 7, '2024-06-01')})).status).to.equal(201)
      const rolled = await kb('GET', `/1.0/kb/usages/${subId}/openstack-billed-instance?startDate=2024-05-01&endDate=2024-06-01`)
      expect(rolled.body).to.deep.equal({
        endDate: '2024-06-01',
        rolledUpUnits: [{amount: 2, unitType: 'openstack-billed-instance'}],
        startDate: '2024-05-01',
        subscriptionId: subId,
      })
      const empty = await kb('GET', `/1.0/kb/usages/${subId}/openstack-billed-vcpus?startDate=2024-05-01&endDate=2024-06-01`)
      expect((empty.body as {rolledUpUnits: unknown[]}).rolledUpUnits).to.deep.equal([])
      expect((await kb('GET', `/1.0/kb/usages/${subId}/openstack-billed-instance`)).status).to.equal(400)
    })

    it('a cancelled subscription takes records dated up to its end, and answers a bare 400 to later ones', async () => {
      const accountId = await account('team-usage-cancelled')
      const id = idFrom(await kb('POST', '/1.0/kb/subscriptions', {body: {accountId, planName: 'openstack-standard-monthly'}}))
      const sub = state.subscriptions.get(id)!
      sub.state = 'CANCELLED'
      sub.cancelledDate = '2024-05-20T10:00:00.000Z'
      const record = (trackingId: string, recordDate: string) => ({subscriptionId: id, trackingId, unitUsageRecords: [{unitType: 'openstack-billed-instance', usageRecords: [{amount: 1, recordDate}]}]})
      expect((await kb('POST', '/1.0/kb/usages', {body: record('c1', '2024-05-20')})).status).to.equal(201)
      const late = await kb('POST', '/1.0/kb/usages', {body: record('c2', '2024-05-21')})
      expect(late.status).to.equal(400)
      expect(state.usage.filter((u) => u.subscriptionId === id).map((u) => u.trackingId)).to.deep.equal(['c1'])
    })

    it('a trackingId already used for the subscription: 400 USAGE_RECORD_TRACKING_ID_ALREADY_EXISTS, nothing recorded', async () => {
      const before = state.usage.length
      const res = await kb('POST', '/1.0/kb/usages', {body: usage('t1', 100)})
      expect(res.status).to.equal(400)
      expect(res.body).to.deep.equal({
        causeClassName: null,
        causeMessage: null,
        className: 'org.killbill.billing.usage.api.UsageApiException',
        code: 50_000,
        message: 'A usage record with tracking ID t1 already exists',
        stackTrace: [],
      })
      expect(state.usage.length).to.equal(before)
    })
  })

  describe('credits, invoices and dry runs', () => {
    let accountId: string
    before(async () => {
      accountId = await account('team-credits')
    })

    it('credits: 201 with the created items; the account CBA grows; amounts must be > 0', async () => {
      const res = await kb('POST', '/1.0/kb/credits?autoCommit=true', {
        body: [{accountId, amount: 100, currency: 'USD', description: 'Adding Credits via KillbillClient'}],
      })
      expect(res.status).to.equal(201)
      const items = res.body as {amount: number; itemType: string}[]
      expect(items[0]).to.include({accountId, amount: -100, itemType: 'CREDIT_ADJ'})
      const acct = await kb('GET', `/1.0/kb/accounts/${accountId}?accountWithBalanceAndCBA=true`)
      expect(acct.body).to.include({accountBalance: -100, accountCBA: 100})
      const bad = await kb('POST', '/1.0/kb/credits?autoCommit=true', {body: [{accountId, amount: 0, currency: 'USD'}]})
      expect(bad.status).to.equal(400)
      expect(bad.body).to.deep.include({code: 4009})
    })

    it('invoices: list with pagination header, get one, 404 unknown', async () => {
      const page = await kb('GET', `/1.0/kb/accounts/${accountId}/invoices/pagination?offset=0&limit=10`)
      expect(page.headers.get('x-killbill-pagination-totalnbrecords')).to.equal('1')
      const invoiceId = (page.body as {invoiceId: string}[])[0].invoiceId
      const invoice = await kb('GET', `/1.0/kb/invoices/${invoiceId}`)
      expect(invoice.body).to.include({accountId, amount: -100, balance: 0, creditAdj: 100, status: 'COMMITTED'})
      expect((invoice.body as {items: {itemType: string}[]}).items.map((i) => i.itemType)).to.deep.equal(['CREDIT_ADJ', 'CBA_ADJ'])
      const filtered = await kb('GET', `/1.0/kb/accounts/${accountId}/invoices?invoicesFilter=${invoiceId}&includeInvoiceComponents=true`)
      expect(filtered.body).to.have.lengthOf(1)
      expect((await kb('GET', '/1.0/kb/invoices/00000000-0000-4000-8000-000000000000')).status).to.equal(404)
    })

    it('dry run UPCOMING_INVOICE: 204 with nothing to bill, then a DRAFT pricing this month\'s usage at 1 USD a unit', async () => {
      const nothing = await kb('POST', `/1.0/kb/invoices/dryRun?accountId=${accountId}&targetDate=2024-05-31`, {body: {dryRunType: 'UPCOMING_INVOICE'}})
      expect(nothing.status).to.equal(204)
      const sub = state.addSubscription({accountId, planName: 'openstack-standard-monthly', stackId: 'stack-7'})
      await kb('POST', '/1.0/kb/usages', {
        body: {subscriptionId: sub.subscriptionId, trackingId: 'x', unitUsageRecords: [{unitType: 'openstack-billed-vcpus', usageRecords: [{amount: 12.5, recordDate: '2024-05-15'}]}]},
      })
      const res = await kb('POST', `/1.0/kb/invoices/dryRun?accountId=${accountId}&targetDate=2024-05-31`, {body: {dryRunType: 'UPCOMING_INVOICE'}})
      expect(res.status).to.equal(200)
      const invoice = res.body as {amount: number; invoiceNumber: null; items: {itemDetails: string; itemType: string; subscriptionId: string}[]; status: string}
      expect(invoice).to.include({amount: 12.5, invoiceNumber: null, status: 'DRAFT'})
      expect(invoice.items[0]).to.include({itemType: 'USAGE', subscriptionId: sub.subscriptionId})
      expect(JSON.parse(invoice.items[0].itemDetails)).to.have.property('tierDetails')
      // A dry run does not consume credit.
      expect(state.accountCBA(accountId)).to.equal(100)
    })
  })
})
