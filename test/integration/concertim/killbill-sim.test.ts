/**
 * The Kill Bill client against the simulated Kill Bill (src/sim/killbill), which follows
 * openstack-anchors.md §11 and original-service.md §7. Where they disagree, the reference decides.
 */
import {expect} from 'chai'

import {CallLedger, HttpError} from '../../../src/lib/http/index.js'
import {createKillBill, type KillBillClient, PROJECT_ID_FIELD, STACK_ID_FIELD} from '../../../src/lib/killbill/index.js'
import {listen, type RunningServer} from '../../../src/sim/http-app.js'
import {createKillBillApp} from '../../../src/sim/killbill/app.js'
import {KillBillState} from '../../../src/sim/killbill/state.js'

const fast = {deadlineMs: 10_000, maxInFlightPerHost: 8, maxRetryDelayMs: 100, retries: 2, retryBaseMs: 5, timeoutMs: 5000}
const creds = {apiKey: 'concertim', apiSecret: 'tenant-secret-42', password: 'kb-pw-7f3a', username: 'admin'}
const section = {api_host: '', apikey: creds.apiKey, apisecret: creds.apiSecret, password: creds.password, plan_name: 'openstack-standard-monthly', username: creds.username}

describe('Kill Bill client against the simulator (integration)', () => {
  let state: KillBillState
  let server: RunningServer
  let ledger: CallLedger
  let kb: KillBillClient
  let planName: string

  beforeEach(async () => {
    state = new KillBillState({now: () => Date.parse('2024-05-20T12:00:00Z')})
    server = await listen(createKillBillApp(state, creds).listener())
    ledger = new CallLedger()
    const made = createKillBill({...section, api_host: server.url}, {ledger, settings: fast})
    kb = made.client
    planName = made.planName
  })
  afterEach(async () => {
    await server.close()
  })

  async function accountWithOrder(stackId: string): Promise<{accountId: string; subscriptionId: string}> {
    const account = await kb.createAccount({billCycleDayLocal: 31, currency: 'USD', externalKey: `team-${stackId}`, name: `team-${stackId}`})
    await kb.addCustomFields('ACCOUNT', account.accountId, [{name: PROJECT_ID_FIELD, value: `project-${stackId}`}])
    const sub = await kb.createSubscription({accountId: account.accountId, planName})
    await kb.addCustomFields('SUBSCRIPTION', sub.subscriptionId, [
      {name: STACK_ID_FIELD, value: stackId},
      {name: 'openstack_stack_name', value: `name-${stackId}`},
    ])
    return {accountId: account.accountId, subscriptionId: sub.subscriptionId}
  }

  it('accounts: create (201 + Location followed), get by id and external key, custom fields; unknown → null', async () => {
    const account = await kb.createAccount({billCycleDayLocal: 31, currency: 'USD', externalKey: 'alice_team', name: 'alice_team'})
    expect(account.accountId).to.be.a('string')
    expect(account).to.deep.include({currency: 'USD', externalKey: 'alice_team', name: 'alice_team'})
    const fields = await kb.addCustomFields('ACCOUNT', account.accountId, [{name: PROJECT_ID_FIELD, value: 'p1'}], {reason: 'team created'})
    expect(fields.map((f) => [f.name, f.value])).to.deep.include([PROJECT_ID_FIELD, 'p1'])
    expect((await kb.customFields('ACCOUNT', account.accountId)).map((f) => f.value)).to.deep.equal(['p1'])
    expect((await kb.account(account.accountId))?.name).to.equal('alice_team')
    expect((await kb.accountByExternalKey('alice_team'))?.accountId).to.equal(account.accountId)
    expect(await kb.accountByExternalKey('nobody')).to.equal(null)
    expect(await kb.account('00000000-0000-4000-8000-000000000000')).to.equal(null)
  })

  it('lists accounts across pages and searches them', async () => {
    for (let i = 0; i < 7; i++) {
      await kb.createAccount({currency: 'USD', externalKey: `k${i}`, name: `team-${i}`})
    }
    const all = await kb.accounts(3)
    expect(all.map((a) => a.name).sort()).to.deep.equal(['team-0', 'team-1', 'team-2', 'team-3', 'team-4', 'team-5', 'team-6'])
    const page = await kb.accountsPage({limit: 3, offset: 0})
    expect(page.items).to.have.length(3)
    expect(page.total).to.equal(7)
    expect(page.nextOffset).to.equal(3)
    const found = await kb.searchAccountsPage('team-4')
    expect(found.items.map((a) => a.name)).to.include('team-4')
  })

  it('subscriptions: create, tag with the stack id, find by stack, list per account, cancel', async () => {
    const {accountId, subscriptionId} = await accountWithOrder('stack-1')
    await accountWithOrder('stack-2')
    const sub = await kb.subscription(subscriptionId)
    expect(sub).to.deep.include({accountId, planName, state: 'ACTIVE', subscriptionId})
    const tagged = await kb.subscriptionsForStack('stack-1')
    expect(tagged.map((s) => s.subscriptionId)).to.deep.equal([subscriptionId])
    expect(await kb.subscriptionsForStack('stack-none')).to.deep.equal([])
    expect((await kb.accountSubscriptions(accountId)).map((s) => s.subscriptionId)).to.deep.equal([subscriptionId])
    const byKey = await kb.searchCustomFields('stack-1')
    expect(byKey.some((f) => f.objectId === subscriptionId)).to.equal(true)
    await kb.cancelSubscription(subscriptionId, {comment: 'rack deleted'})
    expect((await kb.subscription(subscriptionId))?.state).to.equal('CANCELLED')
    expect(await kb.subscription('00000000-0000-4000-8000-000000000000')).to.equal(null)
  })

  it('usage: recorded once; the same trackingId again is a duplicate, never billed twice', async () => {
    const {subscriptionId} = await accountWithOrder('stack-1')
    const record = {
      subscriptionId,
      trackingId: 'concertim-os:2024-05-20:stack-1:instance',
      unitUsageRecords: [{unitType: 'openstack-billed-instance', usageRecords: [{amount: 2.5, recordDate: '2024-05-20'}]}],
    }
    expect(await kb.recordUsage(record)).to.equal('recorded')
    expect(await kb.recordUsage(record)).to.equal('duplicate')
    expect(await kb.recordUsage({...record, trackingId: 'concertim-os:2024-05-20:stack-1:instance#2'})).to.equal('recorded')
    const usage = await kb.usage(subscriptionId, 'openstack-billed-instance', {endDate: '2024-06-01', startDate: '2024-05-01'})
    expect(usage.rolledUpUnits).to.deep.equal([{amount: 5, unitType: 'openstack-billed-instance'}])
  })

  it('credits raise the credit balance; the dry-run invoice is readable under --dry-run', async () => {
    const {accountId, subscriptionId} = await accountWithOrder('stack-1')
    const items = await kb.addCredit({accountId, amount: 100, description: 'Credits added in Concertim'}, {reason: 'Credits added in Concertim'})
    // Kill Bill books a credit as a CREDIT_ADJ item of -amount (and a CBA_ADJ of +amount).
    expect(items.map((i) => Math.abs(i.amount))).to.deep.equal([100])
    expect((await kb.account(accountId, {withBalanceAndCBA: true}))?.accountCBA).to.equal(100)
    const invoices = await kb.accountInvoices(accountId)
    expect(invoices.length).to.be.greaterThan(0)
    expect(await kb.invoice(invoices[0].invoiceId)).to.deep.include({accountId, invoiceId: invoices[0].invoiceId})
    expect((await kb.accountInvoicesPage(accountId, {limit: 10})).items).to.have.length(invoices.length)

    await kb.recordUsage({subscriptionId, trackingId: 't1', unitUsageRecords: [{unitType: 'openstack-billed-instance', usageRecords: [{amount: 7, recordDate: '2024-05-20'}]}]})
    const dry = createKillBill({...section, api_host: server.url}, {dryRun: true, ledger, settings: fast}).client
    const writesBefore = ledger.writes('killbill')
    const draft = await dry.dryRunInvoice(accountId, {targetDate: '2024-05-31'})
    expect(draft?.accountId).to.equal(accountId)
    expect(draft?.amount).to.be.a('number')
    expect(ledger.writes('killbill')).to.equal(writesBefore)
  })

  it('wrong credentials: 401', async () => {
    const bad = createKillBill({...section, api_host: server.url, password: 'wrong'}, {settings: fast}).client
    try {
      await bad.accountsPage()
      expect.fail('expected a failure')
    } catch (error) {
      expect(error).to.be.instanceOf(HttpError)
      expect((error as HttpError).status).to.equal(401)
    }
  })
})
