/**
 * Kill Bill: the REST client and its models.
 */
import type {KillBillSection} from '../config/schema.js'
import type {HttpContext} from '../http/index.js'
import {KillBillClient} from './client.js'

export {
  CREATED_BY,
  type CustomFieldOwner,
  isDuplicateTrackingId,
  KB_PREFIX,
  KillBillClient,
  type KillBillCredentials,
  type PageRequest,
  TRACKING_ID_EXISTS_CODE,
  type UsageOutcome,
} from './client.js'
export type * from './types.js'
export {PROJECT_ID_FIELD, STACK_ID_FIELD, STACK_NAME_FIELD} from './types.js'

/** The original's `BILLING_CREDIT_THRESHOLD` (original-service.md §7.1). */
export const DEFAULT_CREDIT_THRESHOLD = 25
/** The plan of the original's sample configuration. */
export const DEFAULT_PLAN_NAME = 'openstack-standard-monthly'

export interface KillBill {
  client: KillBillClient
  /** Remaining credits at or below this refuse a new order (`killbill.credit_threshold`). */
  creditThreshold: number
  /** The plan of every cluster order (`killbill.plan_name`). */
  planName: string
}

/** The section keys this factory reads: the original's, plus `ca_file` and `insecure`. */
export type KillBillConfig = Pick<KillBillSection, 'api_host'> &
  Partial<Pick<KillBillSection, 'apikey' | 'apisecret' | 'ca_file' | 'credit_threshold' | 'insecure' | 'password' | 'plan_name' | 'username'>>

/** The Kill Bill client for a `killbill:` configuration section. */
export function createKillBill(section: KillBillConfig, ctx: HttpContext = {}): KillBill {
  const tls = section.ca_file !== undefined || section.insecure !== undefined ? {caFile: section.ca_file ?? undefined, insecure: section.insecure === true} : ctx.tls
  const client = new KillBillClient(
    {
      apiHost: section.api_host,
      apiKey: section.apikey ?? '',
      apiSecret: section.apisecret ?? '',
      password: section.password ?? '',
      username: section.username ?? '',
    },
    {...ctx, tls},
  )
  return {client, creditThreshold: section.credit_threshold ?? DEFAULT_CREDIT_THRESHOLD, planName: section.plan_name ?? DEFAULT_PLAN_NAME}
}
