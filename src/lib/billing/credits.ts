/**
 * Credits and orders for the Concertim app (concertim-api.md §7.2 item 16; original-service.md §7.2,
 * §7.4, §7.5): add credits, the remaining credits (credit balance − the draft invoice), create an
 * order (a Kill Bill subscription) only above the credit threshold, cancel an order, tag an order
 * with its stack. Plain functions over the Kill Bill client, for the HTTP API to wire.
 */
import {AppError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'
import type {KillBillClient} from '../killbill/client.js'
import {type Audit, STACK_ID_FIELD, STACK_NAME_FIELD, type Subscription} from '../killbill/types.js'
import {periodAt} from './period.js'

/** A request the caller must fix (a non-positive amount, an empty tag): exit 2, or HTTP 400. */
export class BillingRequestError extends AppError {
  constructor(message: string, hint?: string) {
    super(message, {code: 'E_BILLING_REQUEST', exitCode: ExitCode.USAGE, hint})
  }
}

/** The account's credit balance minus the draft invoice (counted when it is ≥ 0); null for an unknown account. */
export async function remainingCredits(kb: Pick<KillBillClient, 'account' | 'dryRunInvoice'>, accountId: string, opts: {now?: number} = {}): Promise<null | number> {
  const account = await kb.account(accountId, {withBalanceAndCBA: true})
  if (account === null) return null
  const draft = await kb.dryRunInvoice(accountId, {dryRun: {dryRunType: 'UPCOMING_INVOICE'}, targetDate: periodAt(opts.now ?? Date.now()).lastDay})
  const drafted = draft !== null && Number.isFinite(draft.amount) && draft.amount >= 0 ? draft.amount : 0
  return (account.accountCBA ?? 0) - drafted
}

/** Add `amount` (> 0) of credit to the account, committed at once. Returns the amount credited. */
export async function addCredits(kb: Pick<KillBillClient, 'addCredit'>, accountId: string, amount: number | string, opts: {currency?: string} = {}): Promise<number> {
  const value = typeof amount === 'string' ? Number(amount.trim()) : amount
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BillingRequestError(`a credit must be an amount greater than 0, not ${JSON.stringify(amount)}`, 'for example 25 or "25.50"')
  }
  const items = await kb.addCredit({accountId, amount: value, currency: opts.currency ?? 'USD', description: 'Adding Credits via concertim-os'}, {reason: 'Credits added in Concertim'})
  const credited = items.filter((i) => i.itemType === undefined || i.itemType === 'CREDIT_ADJ').reduce((n, i) => n + Math.abs(i.amount), 0)
  return credited > 0 ? credited : value
}

export type OrderResult =
  | {credits: number; ok: false; reason: 'insufficient-credits'; threshold: number}
  | {ok: false; reason: 'unknown-account'}
  | {ok: true; subscription: Subscription}

/**
 * A new order (a subscription to `planName`) for the account, only when its remaining credits are
 * above `threshold` (the original's rule, `killbill.credit_threshold`).
 */
export async function createOrder(kb: Pick<KillBillClient, 'account' | 'createSubscription' | 'dryRunInvoice'>, accountId: string, opts: {now?: number; planName: string; threshold: number}): Promise<OrderResult> {
  const credits = await remainingCredits(kb, accountId, {now: opts.now})
  if (credits === null) return {ok: false, reason: 'unknown-account'}
  if (!(credits > opts.threshold)) return {credits, ok: false, reason: 'insufficient-credits', threshold: opts.threshold}
  const subscription = await kb.createSubscription({accountId, planName: opts.planName}, {reason: 'Order created in Concertim'})
  return {ok: true, subscription}
}

/** Cancel an order; false when Kill Bill does not know it. */
export async function cancelOrder(kb: Pick<KillBillClient, 'cancelSubscription' | 'subscription'>, subscriptionId: string, audit: Audit = {reason: 'Order cancelled in Concertim'}): Promise<boolean> {
  const sub = await kb.subscription(subscriptionId)
  if (sub === null) return false
  if (sub.state !== 'CANCELLED') await kb.cancelSubscription(subscriptionId, audit)
  return true
}

/** Tag an order with its stack (`openstack_stack_id`, `openstack_stack_name`); false when Kill Bill does not know it. */
export async function tagOrder(kb: Pick<KillBillClient, 'addCustomFields' | 'customFields' | 'subscription'>, subscriptionId: string, stack: {id: string; name: string}): Promise<boolean> {
  if (stack.id.trim() === '' || stack.name.trim() === '') throw new BillingRequestError('an order tag needs the stack id and the stack name', 'both openstack_stack_id and openstack_stack_name, non-empty')
  const sub = await kb.subscription(subscriptionId)
  if (sub === null) return false
  const existing = await kb.customFields('SUBSCRIPTION', subscriptionId)
  const wanted = [
    {name: STACK_ID_FIELD, value: stack.id},
    {name: STACK_NAME_FIELD, value: stack.name},
  ].filter((f) => !existing.some((e) => e.name === f.name && e.value === f.value))
  if (wanted.length > 0) await kb.addCustomFields('SUBSCRIPTION', subscriptionId, wanted, {reason: 'Order tagged in Concertim'})
  return true
}
