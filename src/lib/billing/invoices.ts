/**
 * The invoices the Concertim app's billing pages show (concertim-api.md §7.2 items 13–15 and the
 * "Invoice object"; original-service.md §7.2, §7.4): the draft invoice, the paged invoice list with
 * its total, and one invoice — checked to belong to the account (the original did not check) —
 * each transformed into the shape the app parses. Plain functions over the Kill Bill client, for
 * the HTTP API to wire.
 */
import type {KillBillClient} from '../killbill/client.js'
import {type Invoice, type InvoiceItem, STACK_ID_FIELD, STACK_NAME_FIELD} from '../killbill/types.js'
import {periodAt} from './period.js'

export type InvoiceClient = Pick<KillBillClient, 'accountInvoicesPage' | 'accountInvoicesWithItems' | 'customFields' | 'dryRunInvoice' | 'invoiceWithItems'>

/** An item of the app's invoice: a stack's cost, or a credit. */
export type AppInvoiceItem =
  | {amount: number; currency: string; end_date: null | string; openstack_stack_id: string; openstack_stack_name: string; start_date: null | string; type: 'cost'}
  | {amount: number; currency: string; end_date: null | string; start_date: null | string; type: 'credits'}

/** The invoice as the app's `parse_invoice` reads it (snake_case; `items` keyed by id). */
export interface AppInvoice {
  account_id: string
  amount: number
  balance: number
  credit_adj: number
  currency: string
  invoice_date: null | string
  invoice_id: string
  /** Null for a draft. */
  invoice_number: null | string
  items: Record<string, AppInvoiceItem>
  refund_adj: number
  status: string
  target_date: null | string
}

const UUID_RE = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i

/** The stack of a subscription, from its custom fields (both must be set), by subscription id. */
type StackTags = Map<string, {id: string; name: string} | null>

async function stackTagsOf(kb: Pick<KillBillClient, 'customFields'>, invoices: readonly Invoice[]): Promise<StackTags> {
  const ids = new Set<string>()
  for (const inv of invoices) for (const it of inv.items ?? []) if (isCostItem(it)) ids.add(it.subscriptionId as string)
  const out: StackTags = new Map()
  await Promise.all(
    [...ids].map(async (id) => {
      const fields = await kb.customFields('SUBSCRIPTION', id)
      const stackId = fields.find((f) => f.name === STACK_ID_FIELD)?.value
      const stackName = fields.find((f) => f.name === STACK_NAME_FIELD)?.value
      out.set(id, stackId && stackName ? {id: stackId, name: stackName} : null)
    }),
  )
  return out
}

function isCostItem(it: InvoiceItem): boolean {
  return (it.itemType === 'USAGE' || it.itemType === 'RECURRING') && typeof it.subscriptionId === 'string' && it.subscriptionId !== ''
}

/**
 * Kill Bill's invoice → the app's (original-service.md §7.4): usage and recurring items summed per
 * subscription into one `cost` item carrying its stack (items of a subscription without both stack
 * fields are dropped, as the app could not show them), `CBA_ADJ` items as `credits`, others left out.
 */
export function toAppInvoice(inv: Invoice, stacks: ReadonlyMap<string, {id: string; name: string} | null>): AppInvoice {
  const items: Record<string, AppInvoiceItem> = {}
  for (const it of inv.items ?? []) {
    const currency = it.currency ?? inv.currency
    if (isCostItem(it)) {
      const sub = it.subscriptionId as string
      const stack = stacks.get(sub)
      if (!stack) continue
      const prev = items[sub]
      items[sub] = {
        amount: (prev?.amount ?? 0) + it.amount,
        currency,
        end_date: prev?.end_date ?? it.endDate ?? null,
        openstack_stack_id: stack.id,
        openstack_stack_name: stack.name,
        start_date: prev?.start_date ?? it.startDate ?? null,
        type: 'cost',
      }
    } else if (it.itemType === 'CBA_ADJ' && it.invoiceItemId) {
      items[it.invoiceItemId] = {amount: it.amount, currency, end_date: it.endDate ?? null, start_date: it.startDate ?? null, type: 'credits'}
    }
  }
  return {
    account_id: inv.accountId,
    amount: inv.amount,
    balance: inv.balance,
    credit_adj: inv.creditAdj ?? 0,
    currency: inv.currency,
    invoice_date: inv.invoiceDate ?? null,
    invoice_id: inv.invoiceId,
    invoice_number: inv.invoiceNumber ?? null,
    items,
    refund_adj: inv.refundAdj ?? 0,
    status: inv.status ?? 'DRAFT',
    target_date: inv.targetDate ?? null,
  }
}

/**
 * The draft of the account's upcoming invoice (a dry run: nothing is written), dated the last day
 * of the current month as the original; null when Kill Bill has nothing to invoice (its 204, the
 * app's "Nothing to generate").
 */
export async function draftInvoice(kb: Pick<KillBillClient, 'customFields' | 'dryRunInvoice'>, accountId: string, opts: {now?: number} = {}): Promise<AppInvoice | null> {
  const draft = await kb.dryRunInvoice(accountId, {dryRun: {dryRunType: 'UPCOMING_INVOICE'}, targetDate: periodAt(opts.now ?? Date.now()).lastDay})
  if (draft === null) return null
  return toAppInvoice(draft, await stackTagsOf(kb, [draft]))
}

/** One page of the account's invoices (with items) and the total number of invoices. */
export async function listInvoices(kb: InvoiceClient, accountId: string, page: {limit?: number; offset?: number} = {}): Promise<{invoices: AppInvoice[]; total: number}> {
  const offset = Math.max(0, Math.floor(page.offset ?? 0))
  const limit = Math.max(1, Math.floor(page.limit ?? 100))
  const listed = await kb.accountInvoicesPage(accountId, {limit, offset})
  const ids = listed.items.map((i) => i.invoiceId)
  const full = await kb.accountInvoicesWithItems(accountId, ids)
  const byId = new Map(full.map((i) => [i.invoiceId, i]))
  // The page's order; an invoice the filtered listing left out (a draft) is shown as listed.
  const invoices = listed.items.map((i) => byId.get(i.invoiceId) ?? i)
  const stacks = await stackTagsOf(kb, invoices)
  return {invoices: invoices.map((i) => toAppInvoice(i, stacks)), total: listed.total ?? offset + listed.items.length}
}

/** One invoice of the account; null when there is none with this id *for this account*. */
export async function accountInvoice(kb: Pick<KillBillClient, 'customFields' | 'invoiceWithItems'>, accountId: string, invoiceId: string): Promise<AppInvoice | null> {
  if (!UUID_RE.test(invoiceId)) return null
  const inv = await kb.invoiceWithItems(invoiceId)
  if (inv === null || inv.accountId !== accountId) return null
  return toAppInvoice(inv, await stackTagsOf(kb, [inv]))
}
