/**
 * Kill Bill JSON models used by concertim-os (reference/openstack-anchors.md §11, Kill Bill 0.24
 * `kbswagger.yaml`). Only the fields this project reads or writes are named; Kill Bill sends more.
 */

export type ObjectType = 'ACCOUNT' | 'BUNDLE' | 'INVOICE' | 'INVOICE_ITEM' | 'PAYMENT' | 'SUBSCRIPTION' | 'TENANT' | 'TRANSACTION'

/** The custom field the original service puts on a subscription: the OpenStack (Heat) stack id (§7.1). */
export const STACK_ID_FIELD = 'openstack_stack_id'
/** The stack name, added next to the id by the cluster builder's `add_order_tag` (§7.4, §7.5). */
export const STACK_NAME_FIELD = 'openstack_stack_name'
/** The custom field on an account: the OpenStack project id of the team (§7.1). */
export const PROJECT_ID_FIELD = 'project_cloud_id'

export interface Account {
  accountBalance?: number
  /** The credit balance, when asked for with `accountWithBalanceAndCBA`. */
  accountCBA?: number
  accountId: string
  billCycleDayLocal?: number
  currency?: string
  email?: null | string
  externalKey?: string
  name?: null | string
  notes?: null | string
  referenceTime?: string
  timeZone?: string
}

export interface NewAccount {
  /** Day of month; the original used 31. */
  billCycleDayLocal?: number
  company?: string
  /** ISO currency; the original used `USD`. */
  currency: string
  email?: null | string
  externalKey?: string
  name: string
  notes?: string
  timeZone?: string
}

export type SubscriptionState = 'ACTIVE' | 'BLOCKED' | 'CANCELLED' | 'EXPIRED' | 'PENDING'

export interface Subscription {
  accountId: string
  billingEndDate?: null | string
  billingPeriod?: string
  billingStartDate?: string
  bundleExternalKey?: string
  bundleId?: string
  cancelledDate?: null | string
  chargedThroughDate?: null | string
  externalKey?: string
  phaseType?: string
  planName?: string
  priceList?: string
  productCategory?: string
  productName?: string
  startDate?: string
  state?: SubscriptionState
  subscriptionId: string
}

export interface NewSubscription {
  accountId: string
  bundleId?: string
  externalKey?: string
  planName: string
}

export interface Bundle {
  accountId: string
  bundleId: string
  externalKey?: string
  subscriptions: Subscription[]
}

export interface CustomField {
  customFieldId?: string
  name: string
  objectId?: string
  objectType?: ObjectType
  value: string
}

export interface UnitUsageRecord {
  unitType: string
  usageRecords: {amount: number; recordDate: string}[]
}

export interface UsageRecord {
  subscriptionId: string
  /** Kill Bill refuses a second record with the same tracking id for the subscription. */
  trackingId: string
  unitUsageRecords: UnitUsageRecord[]
}

export interface RolledUpUsage {
  endDate?: string
  rolledUpUnits: {amount: number; unitType: string}[]
  startDate?: string
  subscriptionId?: string
}

export interface InvoiceItem {
  accountId?: string
  amount: number
  bundleId?: null | string
  currency?: string
  description?: null | string
  endDate?: null | string
  invoiceId?: null | string
  invoiceItemId?: string
  /** `USAGE`, `RECURRING`, `CBA_ADJ`, `CREDIT_ADJ`, `FIXED`, … */
  itemType?: string
  /** JSON text for usage items. */
  itemDetails?: null | string
  planName?: null | string
  startDate?: null | string
  subscriptionId?: null | string
  usageName?: null | string
}

export interface NewCredit {
  accountId: string
  amount: number
  currency?: string
  description?: string
}

export interface Invoice {
  accountId: string
  amount: number
  balance: number
  creditAdj?: number
  currency: string
  invoiceDate?: string
  invoiceId: string
  invoiceNumber?: null | string
  items?: InvoiceItem[]
  refundAdj?: number
  /** `DRAFT`, `COMMITTED`, `VOID`. */
  status?: string
  targetDate?: string
}

export type DryRunType = 'SUBSCRIPTION_ACTION' | 'TARGET_DATE' | 'UPCOMING_INVOICE'

export interface InvoiceDryRun {
  dryRunType: DryRunType
  [key: string]: unknown
}

/** One page of a paginated listing, with Kill Bill's `X-Killbill-Pagination-*` headers decoded. */
export interface Page<T> {
  items: T[]
  /** The offset of the next page, when there is one. */
  nextOffset?: number
  offset: number
  /** `X-Killbill-Pagination-TotalNbRecords`, when sent. */
  total?: number
}

/** `X-Killbill-Reason` / `X-Killbill-Comment` for the audit log of a write. */
export interface Audit {
  comment?: string
  reason?: string
}
