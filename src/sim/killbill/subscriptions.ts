/**
 * `/1.0/kb/subscriptions`: create (by plan name), get, cancel, and the subscription's custom fields
 * (the original service tags subscriptions with `openstack_stack_id` / `openstack_stack_name`).
 */
import {created, isObject, type KbContext} from './app.js'
import {customFieldsBody, findAccount} from './accounts.js'
import {billingError, illegalArgument, invalidUuid, subscriptionNotFound, UUID_RE} from './errors.js'
import {customFieldJson, subscriptionJson} from './json.js'
import type {KillBillState, SubscriptionRecord} from './state.js'

export function subscriptionRoutes(ctx: KbContext): void {
  const {state} = ctx

  ctx.route('POST', '/1.0/kb/subscriptions', (r) => {
    const body = isObject(r.body) ? r.body : undefined
    if (!body) return illegalArgument('SubscriptionJson body should be specified')
    if (typeof body.accountId !== 'string') return illegalArgument('SubscriptionJson accountId needs to be set')
    const found = findAccount(state, body.accountId)
    if ('reply' in found) return found.reply
    const planName = typeof body.planName === 'string' ? body.planName : undefined
    if (planName === undefined) return illegalArgument('SubscriptionJson planName needs to be set')
    if (!state.plans.has(planName)) {
      return billingError(400, 'org.killbill.billing.catalog.api.CatalogApiException', 2021, `Could not find any plans named '${planName}'`)
    }
    const externalKey = typeof body.externalKey === 'string' && body.externalKey !== '' ? body.externalKey : undefined
    if (externalKey !== undefined) {
      for (const b of state.bundles.values()) {
        if (b.externalKey === externalKey && state.subscriptionsOfBundle(b.bundleId).some((s) => s.state === 'ACTIVE')) {
          return billingError(409, 'org.killbill.billing.entitlement.api.EntitlementApiException', 1014, `Active bundle with external key ${externalKey} already exists`)
        }
      }
    }
    const sub = state.addSubscription({
      accountId: found.account.accountId,
      bundleId: typeof body.bundleId === 'string' ? body.bundleId : undefined,
      externalKey,
      planName,
    })
    return created(r, `/1.0/kb/subscriptions/${sub.subscriptionId}`)
  })

  ctx.route('GET', '/1.0/kb/subscriptions/:subscriptionId', (r) => {
    const found = findSubscription(state, r.params.subscriptionId)
    return 'reply' in found ? found.reply : {body: subscriptionJson(found.subscription), status: 200}
  })

  ctx.route('DELETE', '/1.0/kb/subscriptions/:subscriptionId', (r) => {
    const found = findSubscription(state, r.params.subscriptionId)
    if ('reply' in found) return found.reply
    const sub = found.subscription
    if (sub.state === 'CANCELLED') {
      return billingError(400, 'org.killbill.billing.entitlement.api.EntitlementApiException', 1031, `Subscription ${sub.subscriptionId} is in state CANCELLED: Failed to cancel`)
    }
    sub.state = 'CANCELLED'
    sub.cancelledDate = new Date(state.now()).toISOString()
    return {status: 204}
  })

  ctx.route('GET', '/1.0/kb/subscriptions/:subscriptionId/customFields', (r) => {
    const found = findSubscription(state, r.params.subscriptionId)
    if ('reply' in found) return found.reply
    return {body: state.customFieldsOf(found.subscription.subscriptionId).map((f) => customFieldJson(f)), status: 200}
  })

  ctx.route('POST', '/1.0/kb/subscriptions/:subscriptionId/customFields', (r) => {
    const found = findSubscription(state, r.params.subscriptionId)
    if ('reply' in found) return found.reply
    const fields = customFieldsBody(r.body)
    if (typeof fields === 'string') return illegalArgument(fields)
    for (const f of fields) state.addCustomField({...f, objectId: found.subscription.subscriptionId, objectType: 'SUBSCRIPTION'})
    return created(r, `/1.0/kb/subscriptions/${found.subscription.subscriptionId}/customFields`)
  })
}

export function findSubscription(state: KillBillState, id: string): {reply: ReturnType<typeof subscriptionNotFound>} | {subscription: SubscriptionRecord} {
  if (!UUID_RE.test(id)) return {reply: invalidUuid(id)}
  const subscription = state.subscriptions.get(id)
  return subscription ? {subscription} : {reply: subscriptionNotFound(id)}
}
