/**
 * The simulated Kill Bill tenant (reference/openstack-anchors.md §11, original-service.md §7):
 * accounts, bundles and subscriptions, custom fields, usage records, credits and invoices, plus the
 * small catalog the original service used (plan `openstack-standard-monthly`, recurring price 0,
 * usage units `openstack-billed-*` at 1 USD per unit, in arrear).
 */
import {randomUUID} from 'node:crypto'

export type ObjectType = 'ACCOUNT' | 'BUNDLE' | 'INVOICE' | 'SUBSCRIPTION'
export type SubscriptionState = 'ACTIVE' | 'CANCELLED'

export interface AccountRecord {
  accountId: string
  billCycleDayLocal: number
  closed: boolean
  company: string | null
  currency: string
  email: string | null
  externalKey: string
  name: string
  notes: string | null
  referenceTime: string
  timeZone: string
}

export interface BundleRecord {
  accountId: string
  bundleId: string
  externalKey: string
}

export interface SubscriptionRecord {
  accountId: string
  billingPeriod: string
  bundleId: string
  cancelledDate: string | null
  externalKey: string
  planName: string
  priceList: string
  productCategory: string
  productName: string
  startDate: string
  state: SubscriptionState
  subscriptionId: string
}

export interface CustomFieldRecord {
  customFieldId: string
  name: string
  objectId: string
  objectType: ObjectType
  value: string
}

export interface UsageRow {
  amount: number
  /** `YYYY-MM-DD` (the day of `recordDate`). */
  recordDate: string
  subscriptionId: string
  trackingId: string
  unitType: string
}

export interface InvoiceItemRecord {
  accountId: string
  amount: number
  bundleId: string | null
  currency: string
  description: string | null
  endDate: string | null
  invoiceId: string
  invoiceItemId: string
  itemDetails: string | null
  itemType: 'CBA_ADJ' | 'CREDIT_ADJ' | 'EXTERNAL_CHARGE' | 'RECURRING' | 'USAGE'
  linkedInvoiceItemId: string | null
  phaseName: string | null
  planName: string | null
  productName: string | null
  quantity: number | null
  rate: number | null
  startDate: string | null
  subscriptionId: string | null
  usageName: string | null
}

export interface InvoiceRecord {
  accountId: string
  currency: string
  invoiceDate: string
  invoiceId: string
  invoiceNumber: string | null
  items: InvoiceItemRecord[]
  status: 'COMMITTED' | 'DRAFT' | 'VOID'
  targetDate: string
}

export interface PlanRecord {
  billingPeriod: string
  planName: string
  priceList: string
  productCategory: string
  productName: string
  recurringPrice: number
  /** Price per unit of each usage unit type (in arrear, tiered block size 1). */
  usagePrices: Record<string, number>
}

/** The CloudKitty-derived unit types of the historical catalog, and others the service may post. */
const OPENSTACK_UNITS = ['instance', 'vcpus', 'volume', 'network', 'image', 'ram', 'storage', 'ip', 'floatingip']

export interface KillBillStateOptions {
  /** Clock in ms (default Date.now). */
  now?: () => number
}

export class KillBillState {
  readonly accounts = new Map<string, AccountRecord>()
  readonly bundles = new Map<string, BundleRecord>()
  readonly customFields = new Map<string, CustomFieldRecord>()
  readonly invoices = new Map<string, InvoiceRecord>()
  readonly now: () => number
  readonly plans = new Map<string, PlanRecord>()
  readonly subscriptions = new Map<string, SubscriptionRecord>()
  /** Every usage row, in the order recorded. */
  readonly usage: UsageRow[] = []

  private readonly accountsByKey = new Map<string, string>()
  private readonly bundlesByAccount = new Map<string, string[]>()
  private readonly fieldsByObject = new Map<string, string[]>()
  private readonly invoicesByAccount = new Map<string, string[]>()
  private invoiceNumber = 0
  private readonly subscriptionsByBundle = new Map<string, string[]>()
  private readonly trackingIds = new Map<string, Set<string>>()
  private readonly usageBySubscription = new Map<string, UsageRow[]>()

  constructor(opts: KillBillStateOptions = {}) {
    this.now = opts.now ?? Date.now
    const usagePrices: Record<string, number> = {}
    for (const u of OPENSTACK_UNITS) usagePrices[`openstack-billed-${u}`] = 1
    this.addPlan({
      billingPeriod: 'MONTHLY',
      planName: 'openstack-standard-monthly',
      priceList: 'DEFAULT',
      productCategory: 'BASE',
      productName: 'openstack-standard',
      recurringPrice: 0,
      usagePrices,
    })
  }

  addPlan(p: PlanRecord): PlanRecord {
    this.plans.set(p.planName, p)
    return p
  }

  // ---- accounts ---------------------------------------------------------------------------

  addAccount(a: {billCycleDayLocal?: number; company?: string | null; currency?: string; email?: string | null; externalKey?: string; name: string; notes?: string | null; timeZone?: string}): AccountRecord {
    const accountId = randomUUID()
    const account: AccountRecord = {
      accountId,
      billCycleDayLocal: a.billCycleDayLocal ?? 0,
      closed: false,
      company: a.company ?? null,
      currency: a.currency ?? 'USD',
      email: a.email ?? null,
      // Kill Bill uses the account id as external key when none is given.
      externalKey: a.externalKey ?? accountId,
      name: a.name,
      notes: a.notes ?? null,
      referenceTime: new Date(this.now()).toISOString(),
      timeZone: a.timeZone ?? 'UTC',
    }
    this.accounts.set(accountId, account)
    this.accountsByKey.set(account.externalKey, accountId)
    return account
  }

  accountByKey(externalKey: string): AccountRecord | undefined {
    const id = this.accountsByKey.get(externalKey)
    return id === undefined ? undefined : this.accounts.get(id)
  }

  // ---- bundles and subscriptions ----------------------------------------------------------

  addSubscription(s: {accountId: string; bundleId?: string; externalKey?: string; planName: string; stackId?: string; stackName?: string}): SubscriptionRecord {
    const plan = this.plans.get(s.planName)
    let bundle = s.bundleId === undefined ? undefined : this.bundles.get(s.bundleId)
    if (!bundle) {
      const bundleId = randomUUID()
      bundle = {accountId: s.accountId, bundleId, externalKey: s.externalKey ?? bundleId}
      this.bundles.set(bundleId, bundle)
      push(this.bundlesByAccount, s.accountId, bundleId)
    }
    const sub: SubscriptionRecord = {
      accountId: s.accountId,
      billingPeriod: plan?.billingPeriod ?? 'MONTHLY',
      bundleId: bundle.bundleId,
      cancelledDate: null,
      externalKey: bundle.externalKey,
      planName: s.planName,
      priceList: plan?.priceList ?? 'DEFAULT',
      productCategory: plan?.productCategory ?? 'BASE',
      productName: plan?.productName ?? s.planName,
      startDate: new Date(this.now()).toISOString(),
      state: 'ACTIVE',
      subscriptionId: randomUUID(),
    }
    this.subscriptions.set(sub.subscriptionId, sub)
    push(this.subscriptionsByBundle, bundle.bundleId, sub.subscriptionId)
    // The original service tags subscriptions with the stack they pay for (original-service.md §7.2, §7.5).
    if (s.stackId !== undefined) this.addCustomField({name: 'openstack_stack_id', objectId: sub.subscriptionId, objectType: 'SUBSCRIPTION', value: s.stackId})
    if (s.stackName !== undefined) this.addCustomField({name: 'openstack_stack_name', objectId: sub.subscriptionId, objectType: 'SUBSCRIPTION', value: s.stackName})
    return sub
  }

  bundlesOf(accountId: string): BundleRecord[] {
    return (this.bundlesByAccount.get(accountId) ?? []).map((id) => this.bundles.get(id)).filter((b): b is BundleRecord => b !== undefined)
  }

  subscriptionsOfBundle(bundleId: string): SubscriptionRecord[] {
    return (this.subscriptionsByBundle.get(bundleId) ?? []).map((id) => this.subscriptions.get(id)).filter((s): s is SubscriptionRecord => s !== undefined)
  }

  subscriptionsOf(accountId: string): SubscriptionRecord[] {
    return this.bundlesOf(accountId).flatMap((b) => this.subscriptionsOfBundle(b.bundleId))
  }

  /** The active subscription tagged with this stack id (`openstack_stack_id` custom field), if any. */
  subscriptionForStack(stackId: string): SubscriptionRecord | undefined {
    for (const f of this.customFields.values()) {
      if (f.objectType !== 'SUBSCRIPTION' || f.name !== 'openstack_stack_id' || f.value !== stackId) continue
      const sub = this.subscriptions.get(f.objectId)
      if (sub?.state === 'ACTIVE') return sub
    }
    return undefined
  }

  // ---- custom fields ----------------------------------------------------------------------

  addCustomField(f: {name: string; objectId: string; objectType: ObjectType; value: string}): CustomFieldRecord {
    const field: CustomFieldRecord = {customFieldId: randomUUID(), ...f}
    this.customFields.set(field.customFieldId, field)
    push(this.fieldsByObject, f.objectId, field.customFieldId)
    return field
  }

  customFieldsOf(objectId: string): CustomFieldRecord[] {
    return (this.fieldsByObject.get(objectId) ?? []).map((id) => this.customFields.get(id)).filter((f): f is CustomFieldRecord => f !== undefined)
  }

  removeCustomField(id: string): void {
    const f = this.customFields.get(id)
    if (!f) return
    this.customFields.delete(id)
    const list = this.fieldsByObject.get(f.objectId)
    if (list) this.fieldsByObject.set(f.objectId, list.filter((x) => x !== id))
  }

  // ---- usage ------------------------------------------------------------------------------

  hasTrackingId(subscriptionId: string, trackingId: string): boolean {
    return this.trackingIds.get(subscriptionId)?.has(trackingId) ?? false
  }

  recordUsage(rows: UsageRow[]): void {
    for (const row of rows) {
      this.usage.push(row)
      push(this.usageBySubscription, row.subscriptionId, row)
      let ids = this.trackingIds.get(row.subscriptionId)
      if (!ids) {
        ids = new Set()
        this.trackingIds.set(row.subscriptionId, ids)
      }
      ids.add(row.trackingId)
    }
  }

  /** Sum of recorded amounts per unit type for `recordDate` in `[startDate, endDate)` (YYYY-MM-DD). */
  rolledUp(subscriptionId: string, startDate: string, endDate: string, unitType?: string): Map<string, number> {
    const out = new Map<string, number>()
    for (const row of this.usageBySubscription.get(subscriptionId) ?? []) {
      if (unitType !== undefined && row.unitType !== unitType) continue
      if (row.recordDate < startDate || row.recordDate >= endDate) continue
      out.set(row.unitType, (out.get(row.unitType) ?? 0) + row.amount)
    }
    return out
  }

  // ---- credits and invoices ---------------------------------------------------------------

  /** A credit: a committed invoice with a CREDIT_ADJ item (−amount) and a CBA_ADJ item (+amount). */
  addCredit(c: {accountId: string; amount: number; currency?: string; description?: string | null; invoiceDate?: string}): InvoiceItemRecord {
    const account = this.accounts.get(c.accountId)
    const currency = c.currency ?? account?.currency ?? 'USD'
    const date = c.invoiceDate ?? this.today()
    const invoiceId = randomUUID()
    const base = {accountId: c.accountId, bundleId: null, currency, endDate: date, invoiceId, itemDetails: null, linkedInvoiceItemId: null, phaseName: null, planName: null, productName: null, quantity: null, rate: null, startDate: date, subscriptionId: null, usageName: null}
    const creditItem: InvoiceItemRecord = {...base, amount: -c.amount, description: c.description ?? null, invoiceItemId: randomUUID(), itemType: 'CREDIT_ADJ'}
    const cbaItem: InvoiceItemRecord = {...base, amount: c.amount, description: 'Adjustment (account credit)', invoiceItemId: randomUUID(), itemType: 'CBA_ADJ'}
    this.addInvoice({accountId: c.accountId, currency, invoiceDate: date, items: [creditItem, cbaItem], status: 'COMMITTED', targetDate: date})
    return creditItem
  }

  addInvoice(i: Omit<InvoiceRecord, 'invoiceId' | 'invoiceNumber'> & {invoiceId?: string}): InvoiceRecord {
    const invoiceId = i.invoiceId ?? i.items[0]?.invoiceId ?? randomUUID()
    const invoice: InvoiceRecord = {
      ...i,
      invoiceId,
      invoiceNumber: i.status === 'COMMITTED' ? String(++this.invoiceNumber) : null,
      items: i.items.map((it) => ({...it, invoiceId})),
    }
    this.invoices.set(invoiceId, invoice)
    push(this.invoicesByAccount, i.accountId, invoiceId)
    return invoice
  }

  invoicesOf(accountId: string): InvoiceRecord[] {
    return (this.invoicesByAccount.get(accountId) ?? []).map((id) => this.invoices.get(id)).filter((i): i is InvoiceRecord => i !== undefined)
  }

  /** Credit balance: the sum of CBA_ADJ items of committed invoices. */
  accountCBA(accountId: string): number {
    let cba = 0
    for (const inv of this.invoicesOf(accountId)) {
      if (inv.status !== 'COMMITTED') continue
      for (const it of inv.items) if (it.itemType === 'CBA_ADJ') cba += it.amount
    }
    return round(cba)
  }

  /** Balance: what the account owes on committed invoices (negative when it has credit). */
  accountBalance(accountId: string): number {
    let balance = 0
    for (const inv of this.invoicesOf(accountId)) if (inv.status === 'COMMITTED') balance += invoiceBalance(inv)
    return round(balance - this.accountCBA(accountId))
  }

  /** `YYYY-MM-DD` of the clock (UTC). */
  today(): string {
    return new Date(this.now()).toISOString().slice(0, 10)
  }
}

export function invoiceAmount(inv: InvoiceRecord): number {
  let amount = 0
  for (const it of inv.items) if (it.itemType !== 'CBA_ADJ') amount += it.amount
  return round(amount)
}

export function invoiceCreditAdj(inv: InvoiceRecord): number {
  let adj = 0
  for (const it of inv.items) if (it.itemType === 'CBA_ADJ') adj += it.amount
  return round(adj)
}

export function invoiceBalance(inv: InvoiceRecord): number {
  let sum = 0
  for (const it of inv.items) sum += it.amount
  return round(Math.max(sum, 0))
}

export function round(n: number): number {
  return Math.round(n * 1e9) / 1e9
}

function push<T>(index: Map<string, T[]>, key: string, value: T): void {
  const list = index.get(key)
  if (list) list.push(value)
  else index.set(key, [value])
}
