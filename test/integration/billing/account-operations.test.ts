/**
 * The Kill Bill operations of the app's billing pages (draft invoice, invoice list and one invoice,
 * credits, orders and their tags) against the simulated Kill Bill, in the shape the app parses.
 */
import {expect} from 'chai'

import {addCredits, BillingRequestError, cancelOrder, createOrder, remainingCredits, tagOrder} from '../../../src/lib/billing/credits.js'
import {accountInvoice, draftInvoice, listInvoices} from '../../../src/lib/billing/invoices.js'
import {CallLedger} from '../../../src/lib/http/index.js'
import {createKillBill, type KillBillClient} from '../../../src/lib/killbill/index.js'
import {startSimulator, type Simulator} from '../../../src/sim/index.js'

describe('billing: Kill Bill operations for the app (simulator)', function () {
  this.timeout(30_000)
  let sim: Simulator
  let kb: KillBillClient
  let ledger: CallLedger
  let account: string
  let other: string
  let subscription: string
  let stack: {id: string; name: string}

  beforeEach(async () => {
    sim = await startSimulator({preset: 'small', seed: 3})
    ledger = new CallLedger()
    kb = createKillBill(sim.config().killbill, {ledger, settings: {retries: 0}}).client
    const teams = sim.cloud.teams.filter((t) => t.stackIds.length > 0)
    account = sim.killbill.accountByKey(teams[0].projectId)!.accountId
    other = sim.killbill.accountByKey(teams[1].projectId)!.accountId
    const sub = sim.killbill.subscriptionsOf(account)[0]
    subscription = sub.subscriptionId
    const stackId = sim.killbill.customFieldsOf(subscription).find((f) => f.name === 'openstack_stack_id')!.value
    stack = {id: stackId, name: sim.killbill.customFieldsOf(subscription).find((f) => f.name === 'openstack_stack_name')!.value}
  })
  afterEach(async () => sim.stop())

  const today = () => sim.killbill.today()

  it('draft invoice: the usage of each stack as one cost item keyed by subscription; null when there is nothing to invoice', async () => {
    expect(await draftInvoice(kb, account)).to.equal(null)
    sim.killbill.recordUsage([
      {amount: 1.25, recordDate: today(), subscriptionId: subscription, trackingId: 't1', unitType: 'openstack-billed-instance'},
      {amount: 0.5, recordDate: today(), subscriptionId: subscription, trackingId: 't2', unitType: 'openstack-billed-vcpus'},
    ])
    const draft = await draftInvoice(kb, account)
    expect(draft).to.include({account_id: account, invoice_number: null, status: 'DRAFT'})
    expect(Object.keys(draft!.items)).to.deep.equal([subscription])
    expect(draft!.items[subscription]).to.include({openstack_stack_id: stack.id, openstack_stack_name: stack.name, type: 'cost'})
    expect(draft!.items[subscription].amount).to.be.closeTo(1.75, 1e-9)
    expect(ledger.writes()).to.equal(0)
  })

  it('credits: added (> 0 only), then the remaining credits are the balance minus the draft', async () => {
    expect(await addCredits(kb, account, 40)).to.equal(40)
    expect(await remainingCredits(kb, account)).to.equal(40)
    sim.killbill.recordUsage([{amount: 3, recordDate: today(), subscriptionId: subscription, trackingId: 't1', unitType: 'openstack-billed-instance'}])
    expect(await remainingCredits(kb, account)).to.equal(37)
    expect(await remainingCredits(kb, '00000000-0000-4000-8000-000000000000')).to.equal(null)
    const before = ledger.writes()
    for (const bad of [0, -5, 'abc', Number.NaN, '']) {
      const err = await addCredits(kb, account, bad).then(() => undefined, (error: unknown) => error)
      expect(err, String(bad)).to.be.instanceOf(BillingRequestError)
    }
    expect(ledger.writes()).to.equal(before)
  })

  it('invoice list: paged, with the total, each in the app shape', async () => {
    for (const n of [10, 20, 30]) await addCredits(kb, account, n)
    const page1 = await listInvoices(kb, account, {limit: 2, offset: 0})
    expect(page1.total).to.equal(3)
    expect(page1.invoices).to.have.length(2)
    const page2 = await listInvoices(kb, account, {limit: 2, offset: 2})
    expect(page2.invoices).to.have.length(1)
    const all = [...page1.invoices, ...page2.invoices]
    expect(new Set(all.map((i) => i.invoice_id)).size).to.equal(3)
    for (const inv of all) {
      expect(inv.account_id).to.equal(account)
      expect(inv.invoice_number).to.be.a('string')
      const items = Object.values(inv.items)
      expect(items.map((i) => i.type)).to.deep.equal(['credits'])
    }
    expect(all.map((i) => Object.values(i.items)[0].amount).sort((a, b) => a - b)).to.deep.equal([10, 20, 30])
  })

  it("one invoice: the account's own; another account's, an unknown or a malformed id → not found", async () => {
    await addCredits(kb, account, 10)
    await addCredits(kb, other, 10)
    const mine = sim.killbill.invoicesOf(account)[0].invoiceId
    const theirs = sim.killbill.invoicesOf(other)[0].invoiceId
    const got = await accountInvoice(kb, account, mine)
    expect(got?.invoice_id).to.equal(mine)
    expect(got?.status).to.equal('COMMITTED')
    expect(await accountInvoice(kb, account, theirs)).to.equal(null)
    expect(await accountInvoice(kb, account, '00000000-0000-4000-8000-000000000000')).to.equal(null)
    expect(await accountInvoice(kb, account, 'not-an-id')).to.equal(null)
  })

  it('an order only above the credit threshold; cancelled; tagged with its stack', async () => {
    const opts = {planName: 'openstack-standard-monthly', threshold: 25}
    expect(await createOrder(kb, account, opts)).to.deep.equal({credits: 0, ok: false, reason: 'insufficient-credits', threshold: 25})
    await addCredits(kb, account, 25)
    expect((await createOrder(kb, account, opts)).ok, 'exactly the threshold is not enough').to.equal(false)
    await addCredits(kb, account, 5)
    const made = await createOrder(kb, account, opts)
    expect(made.ok).to.equal(true)
    const id = made.ok ? made.subscription.subscriptionId : ''
    expect(sim.killbill.subscriptions.get(id)?.state).to.equal('ACTIVE')
    expect(await createOrder(kb, '00000000-0000-4000-8000-000000000000', opts)).to.deep.equal({ok: false, reason: 'unknown-account'})

    expect(await tagOrder(kb, id, {id: 'stack-1', name: 'my-cluster'})).to.equal(true)
    expect(await tagOrder(kb, id, {id: 'stack-1', name: 'my-cluster'})).to.equal(true)
    const fields = sim.killbill.customFieldsOf(id).map((f) => `${f.name}=${f.value}`).sort()
    expect(fields).to.deep.equal(['openstack_stack_id=stack-1', 'openstack_stack_name=my-cluster'])
    expect(await tagOrder(kb, '00000000-0000-4000-8000-000000000000', {id: 's', name: 'n'})).to.equal(false)
    const empty = await tagOrder(kb, id, {id: ' ', name: 'n'}).then(() => undefined, (error: unknown) => error)
    expect(empty).to.be.instanceOf(BillingRequestError)

    expect(await cancelOrder(kb, id)).to.equal(true)
    expect(sim.killbill.subscriptions.get(id)?.state).to.equal('CANCELLED')
    expect(await cancelOrder(kb, id)).to.equal(true)
    expect(await cancelOrder(kb, '00000000-0000-4000-8000-000000000000')).to.equal(false)
  })
})
