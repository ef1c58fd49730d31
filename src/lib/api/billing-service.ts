/**
 * The `BillingService` of `serve` over the billing library (src/lib/billing) and the Kill Bill
 * client: the app's invoice, credit and order calls mapped to the library's functions, and their
 * "not there" answers to the statuses the app expects (an invoice of another account: 404; an
 * account Kill Bill does not know: 404; credits at or below the threshold: 422).
 */
import {accountInvoice, draftInvoice, listInvoices} from '../billing/invoices.js'
import {addCredits, BillingRequestError, cancelOrder, createOrder, remainingCredits} from '../billing/credits.js'
import type {KillBillClient} from '../killbill/client.js'
import type {BillingService, Invoice} from './ports.js'
import {ServiceRefusal} from './ports.js'

export function killBillBillingService(kb: KillBillClient, opts: {planName: string; threshold: number}): BillingService {
  const request = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (error) {
      if (error instanceof BillingRequestError) throw new ServiceRefusal(400, 'InvalidArgument', error.message)
      throw error
    }
  }
  return {
    async addCredits(req) {
      return {credits: await request(async () => addCredits(kb, req.billingAcctId, req.amount))}
    },
    async addOrderTag(req) {
      // The app sets one custom field per call (openstack_stack_id, then openstack_stack_name): set once.
      if (req.tagName.trim() === '') throw new ServiceRefusal(400, 'InvalidArgument', 'tag.tag_name must not be empty')
      if ((await kb.subscription(req.orderId)) === null) throw new ServiceRefusal(404, 'NotFound', `order ${req.orderId} is not known to Kill Bill`)
      const existing = await kb.customFields('SUBSCRIPTION', req.orderId)
      if (!existing.some((f) => f.name === req.tagName && f.value === req.tagValue)) {
        await kb.addCustomFields('SUBSCRIPTION', req.orderId, [{name: req.tagName, value: req.tagValue}], {reason: 'Order tagged in Concertim'})
      }
      return {tag: req.tagName}
    },
    async createOrder(req) {
      const r = await createOrder(kb, req.billingAcctId, {planName: opts.planName, threshold: opts.threshold})
      if (r.ok) return {orderId: r.subscription.subscriptionId}
      if (r.reason === 'unknown-account') throw new ServiceRefusal(404, 'NotFound', `billing account ${req.billingAcctId} is not known to Kill Bill`)
      throw new ServiceRefusal(422, 'InsufficientCredits', `the team's remaining credits (${r.credits}) are not above the threshold of ${r.threshold}: add credits before ordering`)
    },
    async deleteOrder(req) {
      if (!(await cancelOrder(kb, req.orderId))) throw new ServiceRefusal(404, 'NotFound', `order ${req.orderId} is not known to Kill Bill`)
      return {orderId: req.orderId}
    },
    async draftInvoice(req) {
      return (await draftInvoice(kb, req.billingAcctId)) as Invoice | null
    },
    async getCredits(req) {
      const credits = await remainingCredits(kb, req.billingAcctId)
      if (credits === null) throw new ServiceRefusal(404, 'NotFound', `billing account ${req.billingAcctId} is not known to Kill Bill`)
      return {credits}
    },
    async getInvoice(req) {
      const invoice = await accountInvoice(kb, req.billingAcctId, req.invoiceId)
      if (invoice === null) throw new ServiceRefusal(404, 'NotFound', `invoice ${req.invoiceId} is not an invoice of account ${req.billingAcctId}`)
      return invoice as unknown as Invoice
    },
    async listInvoices(req) {
      const r = await listInvoices(kb, req.billingAcctId, {limit: req.limit, offset: req.offset})
      return {invoices: r.invoices as unknown as Invoice[], total: r.total}
    },
  }
}
