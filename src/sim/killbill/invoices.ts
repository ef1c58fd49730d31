/**
 * Credits and invoices: `POST /1.0/kb/credits` (a committed credit invoice when `autoCommit=true`),
 * invoice reads and listings, and `POST /1.0/kb/invoices/dryRun`, which prices the current period's
 * usage (in arrear) and recurring fees of the account's active subscriptions without committing.
 */
import {randomUUID} from 'node:crypto'

import {created, isObject, page, type KbContext} from './app.js'
import {findAccount} from './accounts.js'
import {billingError, illegalArgument, invalidUuid, invoiceNotFound, UUID_RE} from './errors.js'
import {invoiceItemJson, invoiceJson} from './json.js'
import {round, type InvoiceItemRecord, type InvoiceRecord, type KillBillState} from './state.js'

const DRY_RUN_TYPES = ['TARGET_DATE', 'UPCOMING_INVOICE', 'SUBSCRIPTION_ACTION']

export function invoiceRoutes(ctx: KbContext): void {
  const {state} = ctx

  ctx.route('POST', '/1.0/kb/credits', (r) => {
    if (!Array.isArray(r.body) || r.body.length === 0) return illegalArgument('InvoiceItemJson body should be specified')
    const autoCommit = r.query.get('autoCommit') === 'true'
    const items: InvoiceItemRecord[] = []
    for (const c of r.body) {
      if (!isObject(c) || typeof c.accountId !== 'string') return illegalArgument('InvoiceItemJson accountId needs to be set')
      const found = findAccount(state, c.accountId)
      if ('reply' in found) return found.reply
      const amount = typeof c.amount === 'number' ? c.amount : Number(c.amount)
      if (!Number.isFinite(amount) || amount <= 0) {
        return billingError(400, 'org.killbill.billing.invoice.api.InvoiceApiException', 4009, `Credit amount ${String(c.amount)} should be strictly positive`)
      }
      const currency = typeof c.currency === 'string' ? c.currency : found.account.currency
      if (currency !== found.account.currency) {
        return billingError(400, 'org.killbill.billing.invoice.api.InvoiceApiException', 3, `Invalid currency ${currency}, expected ${found.account.currency}`)
      }
      const item = state.addCredit({accountId: found.account.accountId, amount, currency, description: typeof c.description === 'string' ? c.description : null})
      if (!autoCommit) {
        const inv = state.invoices.get(item.invoiceId)
        if (inv) {
          inv.status = 'DRAFT'
          inv.invoiceNumber = null
        }
      }
      items.push(item)
    }
    return created(r, `/1.0/kb/credits/${items[0].invoiceItemId}`, items.map((i) => invoiceItemJson(i)))
  })

  ctx.route('GET', '/1.0/kb/credits/:creditId', (r) => {
    for (const inv of state.invoices.values()) {
      const item = inv.items.find((i) => i.invoiceItemId === r.params.creditId && i.itemType === 'CREDIT_ADJ')
      if (item) return {body: invoiceItemJson(item), status: 200}
    }
    return billingError(404, 'org.killbill.billing.invoice.api.InvoiceApiException', 4008, `Credit item for id ${r.params.creditId} does not exist`)
  })

  ctx.route('GET', '/1.0/kb/invoices/:invoiceId', (r) => {
    if (!UUID_RE.test(r.params.invoiceId)) return invalidUuid(r.params.invoiceId)
    const inv = state.invoices.get(r.params.invoiceId)
    return inv ? {body: invoiceJson(inv, r.query.get('withItems') !== 'false'), status: 200} : invoiceNotFound(r.params.invoiceId)
  })

  ctx.route('GET', '/1.0/kb/accounts/:accountId/invoices', (r) => {
    const found = findAccount(state, r.params.accountId)
    if ('reply' in found) return found.reply
    const filter = r.query.get('invoicesFilter')?.split(',').filter((s) => s !== '')
    const withItems = r.query.get('includeInvoiceComponents') === 'true' || r.query.get('withItems') === 'true'
    const invoices = state.invoicesOf(found.account.accountId).filter((i) => i.status !== 'DRAFT' && (!filter || filter.includes(i.invoiceId)))
    return {body: invoices.map((i) => invoiceJson(i, withItems)), status: 200}
  })

  ctx.route('GET', '/1.0/kb/accounts/:accountId/invoices/pagination', (r) => {
    const found = findAccount(state, r.params.accountId)
    if ('reply' in found) return found.reply
    return page(r, state.invoicesOf(found.account.accountId), (i) => invoiceJson(i, false))
  })

  ctx.route('POST', '/1.0/kb/invoices/dryRun', (r) => {
    const accountId = r.query.get('accountId')
    if (accountId === null) return illegalArgument('accountId needs to be specified')
    const found = findAccount(state, accountId)
    if ('reply' in found) return found.reply
    const body = isObject(r.body) ? r.body : {}
    const dryRunType = typeof body.dryRunType === 'string' ? body.dryRunType : 'TARGET_DATE'
    if (!DRY_RUN_TYPES.includes(dryRunType)) return illegalArgument(`Invalid dryRunType ${dryRunType}`)
    const targetDate = r.query.get('targetDate') ?? state.today()
    const invoice = dryRunInvoice(state, found.account.accountId, found.account.currency, targetDate)
    if (!invoice) return {status: 204}
    return {body: invoiceJson(invoice, true), status: 200}
  })
}

/** The draft invoice of the month of `targetDate`: usage (in arrear) and recurring fees; none when empty. */
function dryRunInvoice(state: KillBillState, accountId: string, currency: string, targetDate: string): InvoiceRecord | undefined {
  const [y, m] = targetDate.split('-').map(Number)
  const start = `${y}-${String(m).padStart(2, '0')}-01`
  const next = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10)
  const invoiceId = randomUUID()
  const items: InvoiceItemRecord[] = []
  for (const sub of state.subscriptionsOf(accountId)) {
    if (sub.state !== 'ACTIVE') continue
    const plan = state.plans.get(sub.planName)
    if (!plan) continue
    const base = {accountId, bundleId: sub.bundleId, currency, invoiceId, linkedInvoiceItemId: null, planName: plan.planName, productName: plan.productName, subscriptionId: sub.subscriptionId}
    if (plan.recurringPrice > 0) {
      items.push({...base, amount: plan.recurringPrice, description: `${plan.planName}-evergreen`, endDate: next, invoiceItemId: randomUUID(), itemDetails: null, itemType: 'RECURRING', phaseName: `${plan.planName}-evergreen`, quantity: null, rate: plan.recurringPrice, startDate: start, usageName: null})
    }
    for (const [unitType, quantity] of state.rolledUp(sub.subscriptionId, start, next)) {
      const price = plan.usagePrices[unitType]
      if (price === undefined) continue
      const amount = round(quantity * price)
      const itemDetails = JSON.stringify({tierDetails: [{amount, quantity, tier: 1, tierBlockSize: 1, tierPrice: price, tierUnit: unitType}]})
      items.push({...base, amount, description: `${plan.planName}-${unitType}-usage`, endDate: next, invoiceItemId: randomUUID(), itemDetails, itemType: 'USAGE', phaseName: `${plan.planName}-evergreen`, quantity, rate: price, startDate: start, usageName: `${plan.planName}-${unitType}-usage`})
    }
  }
  if (items.length === 0) return undefined
  return {accountId, currency, invoiceDate: state.today(), invoiceId, invoiceNumber: null, items, status: 'DRAFT', targetDate}
}
