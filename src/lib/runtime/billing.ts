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
import type {BillingClients} from '../billing/reconcile.js'
import {openViewStore} from '../store/index.js'
import type {ViewStore} from '../store/types.js'

/** The view store's named value holding the last month settled (`YYYY-MM`). */
export const SETTLED_VALUE = 'billing_settled_period'

export function createBillingClients(config: Config, ctx: HttpContext, logger?: Logger): {clients: BillingClients; store: ViewStore} {
  const settings = ctx.settings ?? {}
  const context: HttpContext = {...ctx, settings: {...settings, maxInFlightPerHost: Math.max(settings.maxInFlightPerHost ?? 0, config.billing.concurrency)}}
  const openstack = createOpenStack(config.openstack as unknown as Record<string, unknown>, context)
  const concertim = createConcertim(config.concertim, context)
  const killbill = config.killbill === undefined || config.killbill === null ? undefined : createKillBill(config.killbill, context).client
  const store = openViewStore(config.store)
  if (logger) store.onWarning = (message) => logger.warn(message)
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
          const v = (await store.load()).values[SETTLED_VALUE]
          return typeof v === 'string' ? v : undefined
        } catch (error) {
          logger?.warn({err: (error as Error).message}, 'cannot read which month was last settled; settling the previous month again (records nothing twice)')
          return undefined
        }
      },
    },
  }
  return {clients, store}
}
