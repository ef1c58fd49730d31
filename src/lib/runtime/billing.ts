/**
 * The composition root of `billing reconcile`: CloudKitty (through the Keystone session, with the
 * billing page size), Concertim, Kill Bill when its section is present, and the view store that
 * keeps which month was last settled. lib/billing builds no client; commands, tests and benchmarks
 * build them here. The caller closes the store.
 */
import {createConcertim} from '../concertim/index.js'
import type {Config} from '../config/index.js'
import type {HttpContext} from '../http/index.js'
import {createKillBill} from '../killbill/index.js'
import {CloudKittyClient, createOpenStack} from '../openstack/index.js'
import type {Logger} from '../output/logger.js'
import type {BillingClients, UsageSnapshot} from '../billing/reconcile.js'
import {openViewStore} from '../store/index.js'
import type {ViewStore} from '../store/types.js'

/** The view store's named value holding the last month settled (`YYYY-MM`). */
export const SETTLED_VALUE = 'billing_settled_period'
/** The view store's named value holding the usage last seen in Kill Bill: `{period, subscriptions: {id: {unit: amount}}}`. */
export const USAGE_VALUE = 'billing_usage_seen'

export function createBillingClients(config: Config, ctx: HttpContext, logger?: Logger): {clients: BillingClients; store: ViewStore} {
  const settings = ctx.settings ?? {}
  const context: HttpContext = {...ctx, settings: {...settings, maxInFlightPerHost: Math.max(settings.maxInFlightPerHost ?? 0, config.billing.concurrency)}}
  const openstack = createOpenStack(config.openstack as unknown as Record<string, unknown>, context)
  const concertim = createConcertim(config.concertim, context)
  const killbill = config.killbill === undefined || config.killbill === null ? undefined : createKillBill(config.killbill, context).client
  const store = openViewStore(config.store)
  if (logger) store.onWarning = (message) => logger.warn(message)
  let snapshot: Promise<Record<string, unknown>> | undefined
  const values = async () => (snapshot ??= store.load().then((v) => v.values))
  const clients: BillingClients = {
    cloudkitty: new CloudKittyClient(openstack.keystone, {pageSize: config.billing.page_size}),
    concertim: concertim.api,
    ...(killbill === undefined ? {} : {killbill}),
    logger,
    settlement: {
      async markSettled(periodId) {
        await store.apply({values: {[SETTLED_VALUE]: periodId}})
      },
      async settledThrough() {
        try {
          const v = (await values())[SETTLED_VALUE]
          return typeof v === 'string' ? v : undefined
        } catch (error) {
          logger?.warn({err: (error as Error).message}, 'cannot read which month was last settled; settling the previous month again (records nothing twice)')
          return undefined
        }
      },
    },
    usageCache: {
      async load(periodId) {
        const v = (await values())[USAGE_VALUE] as {period?: unknown; subscriptions?: unknown} | undefined
        if (v?.period !== periodId || typeof v.subscriptions !== 'object' || v.subscriptions === null) return undefined
        const out: UsageSnapshot = new Map()
        for (const [sub, units] of Object.entries(v.subscriptions as Record<string, unknown>)) {
          if (typeof units !== 'object' || units === null) continue
          out.set(sub, new Map(Object.entries(units as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number')))
        }
        return out
      },
      async save(periodId, seen) {
        const subscriptions = Object.fromEntries([...seen].map(([sub, units]) => [sub, Object.fromEntries(units)]))
        await store.apply({values: {[USAGE_VALUE]: {period: periodId, subscriptions}}})
      },
    },
  }
  return {clients, store}
}
