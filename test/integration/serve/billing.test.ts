/**
 * The billing routes wired to the billing library over the simulated Kill Bill (the default when
 * the configuration has a killbill section), driven by the app's job runner.
 */
import {expect} from 'chai'

import {JobCallError} from '../../../src/sim/concertim/job-runner.js'
import type {TeamRecord} from '../../../src/sim/concertim/state.js'
import {type ServeWorld, startServeWorld} from './support.js'
import {failure as failed} from '../../support/failure.js'

const failure = async (p: Promise<unknown>): Promise<JobCallError> => failed(p, JobCallError)

describe('serve: billing routes over Kill Bill', function () {
  this.timeout(60_000)
  let w: ServeWorld
  let teams: TeamRecord[]

  before(async () => {
    w = await startServeWorld({billing: 'killbill', reconcileAfterAction: false})
    teams = [...w.sim.concertim.teams.values()].filter((t) => t.billing_acct_id !== null)
    if (teams.length < 2) throw new Error('two teams with accounts needed')
  })
  after(async () => w?.stop())

  it('credits: added, read back; an order below the threshold is 422, above it a subscription; tag and cancel twice are one', async () => {
    const team = teams[0]
    const acct = team.billing_acct_id as string
    const before = (await w.runner.call('POST', '/get_credits', {credits: {billing_account_id: acct}})).body.credits as number
    if (before > 25) await w.runner.call('POST', '/create_order', {order: {billing_account_id: acct}})
    expect((await w.runner.addCredits(team, 40)).body).to.deep.equal({credits: 40, success: true})
    const after = (await w.runner.call('POST', '/get_credits', {credits: {billing_account_id: acct}})).body.credits as number
    expect(after - before).to.be.closeTo(40, 0.001)
    const order = await w.runner.call('POST', '/create_order', {order: {billing_account_id: acct}}).catch((error: unknown) => error as JobCallError)
    if (order instanceof JobCallError) {
      expect(order.status).to.equal(422)
      expect(order.body).to.deep.include({error: 'InsufficientCredits'})
      return
    }
    const orderId = order.body.order as string
    for (let i = 0; i < 2; i++) {
      expect((await w.runner.call('POST', '/add_order_tag', {tag: {order_id: orderId, tag_name: 'openstack_stack_id', tag_value: 'stack-x'}})).body).to.deep.equal({success: true, tag: 'openstack_stack_id'})
    }
    for (let i = 0; i < 2; i++) expect((await w.runner.call('POST', '/delete_order', {order: {order_id: orderId}})).body).to.deep.equal({order: orderId, success: true})
  })

  it('an account Kill Bill does not know: 404; a credit of 0: 400', async () => {
    const unknown = await failure(w.runner.call('POST', '/get_credits', {credits: {billing_account_id: '00000000-0000-4000-8000-000000000000'}}))
    expect(unknown.status).to.equal(404)
    expect((await failure(w.runner.call('POST', '/credits', {credits: {amount: 0, billing_acct_id: teams[0].billing_acct_id}}))).status).to.equal(400)
  })

  it('invoices: paginated list of the team\'s; one of another account is 404', async () => {
    const [a, b] = teams
    const list = await w.runner.getInvoices(a, 0, 10)
    expect(list.body.success).to.equal(true)
    expect(list.body).to.have.property('total_invoices')
    const invoices = list.body.invoices as {invoice_id?: string}[]
    const ofB = ((await w.runner.getInvoices(b, 0, 10)).body.invoices as {invoice_id?: string}[])[0]
    if (invoices.length > 0) expect((await w.runner.getInvoice(a, invoices[0].invoice_id as string)).body.invoice).to.deep.include({invoice_id: invoices[0].invoice_id})
    const other = await failure(w.runner.getInvoice(a, ofB?.invoice_id ?? '00000000-0000-4000-8000-000000000001'))
    expect(other.status).to.equal(404)
    const draft = await w.runner.getDraftInvoice(a, new Date().toISOString().slice(0, 10))
    expect([201, 204]).to.include(draft.status)
  })
})
