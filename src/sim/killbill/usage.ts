/**
 * `/1.0/kb/usages`: record usage as `UsageResource` does — 201 Created without a body; a
 * `trackingId` already used for the subscription is refused, as `DefaultUsageUserApi` does, with
 * `USAGE_RECORD_TRACKING_ID_ALREADY_EXISTS` → 400; a cancelled subscription takes records dated up
 * to its end and answers a bare 400 to later ones — and read the rolled-up sums over
 * `[startDate, endDate)`.
 */
import {randomUUID} from 'node:crypto'

import type {SimRequest} from '../http-app.js'
import {isObject, type KbContext} from './app.js'
import {billingError, illegalArgument} from './errors.js'
import {findSubscription} from './subscriptions.js'
import type {UsageRow} from './state.js'

const DATE_RE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/

export function usageRoutes(ctx: KbContext): void {
  const {state} = ctx

  ctx.route('POST', '/1.0/kb/usages', (r) => {
    const body = isObject(r.body) ? r.body : undefined
    if (!body) return illegalArgument('SubscriptionUsageRecordJson body should be specified')
    if (typeof body.subscriptionId !== 'string') return illegalArgument('SubscriptionUsageRecordJson subscriptionId needs to be set')
    if (!Array.isArray(body.unitUsageRecords) || body.unitUsageRecords.length === 0) {
      return illegalArgument('SubscriptionUsageRecordJson unitUsageRecords needs to be set')
    }
    const found = findSubscription(state, body.subscriptionId)
    if ('reply' in found) return found.reply
    const sub = found.subscription
    const given = typeof body.trackingId === 'string' && body.trackingId !== '' ? body.trackingId : undefined
    if (given !== undefined && state.hasTrackingId(sub.subscriptionId, given)) {
      return billingError(400, 'org.killbill.billing.usage.api.UsageApiException', 50_000, `A usage record with tracking ID ${given} already exists`)
    }
    const trackingId = given ?? randomUUID()
    const rows: UsageRow[] = []
    for (const unit of body.unitUsageRecords) {
      if (!isObject(unit) || typeof unit.unitType !== 'string' || !Array.isArray(unit.usageRecords)) {
        return illegalArgument('UnitUsageRecordJson unitType and usageRecords need to be set')
      }
      for (const rec of unit.usageRecords) {
        const date = isObject(rec) && typeof rec.recordDate === 'string' ? DATE_RE.exec(rec.recordDate) : null
        if (!date || !isObject(rec) || typeof rec.amount !== 'number') return illegalArgument('UsageRecordJson recordDate and amount need to be set')
        rows.push({amount: rec.amount, recordDate: date[1], subscriptionId: sub.subscriptionId, trackingId, unitType: unit.unitType})
      }
    }
    // UsageResource: a subscription with an effective end date refuses records dated after it (bare 400).
    const end = sub.state === 'ACTIVE' ? null : (sub.cancelledDate ?? '').slice(0, 10)
    if (end !== null && rows.some((row) => row.recordDate > end)) return {status: 400, text: ''}
    state.recordUsage(rows)
    return {status: 201, text: ''}
  })

  ctx.route('GET', '/1.0/kb/usages/:subscriptionId/:unitType', (r) => rolledUp(r, r.params.unitType))
  ctx.route('GET', '/1.0/kb/usages/:subscriptionId', (r) => rolledUp(r))

  function rolledUp(r: SimRequest, unitType?: string) {
    const startDate = r.query.get('startDate')
    const endDate = r.query.get('endDate')
    if (!startDate || !endDate) return illegalArgument('Missing start date or end date')
    const found = findSubscription(state, r.params.subscriptionId)
    if ('reply' in found) return found.reply
    const sums = state.rolledUp(found.subscription.subscriptionId, startDate.slice(0, 10), endDate.slice(0, 10), unitType)
    return {
      body: {
        endDate,
        rolledUpUnits: [...sums].map(([type, amount]) => ({amount, unitType: type})),
        startDate,
        subscriptionId: found.subscription.subscriptionId,
      },
      status: 200,
    }
  }
}
