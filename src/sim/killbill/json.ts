/**
 * Kill Bill's JSON models (`AccountJson`, `SubscriptionJson`, `BundleJson`, `CustomFieldJson`,
 * `InvoiceJson`, `InvoiceItemJson`) as the REST API renders them (openstack-anchors.md §11).
 */
import {
  invoiceAmount,
  invoiceBalance,
  invoiceCreditAdj,
  type AccountRecord,
  type BundleRecord,
  type CustomFieldRecord,
  type InvoiceItemRecord,
  type InvoiceRecord,
  type KillBillState,
  type SubscriptionRecord,
} from './state.js'

export function accountJson(state: KillBillState, a: AccountRecord, withBalance: boolean, withCBA: boolean): Record<string, unknown> {
  return {
    accountId: a.accountId,
    name: a.name,
    firstNameLength: null,
    externalKey: a.externalKey,
    email: a.email,
    billCycleDayLocal: a.billCycleDayLocal,
    currency: a.currency,
    parentAccountId: null,
    isPaymentDelegatedToParent: false,
    paymentMethodId: null,
    referenceTime: a.referenceTime,
    timeZone: a.timeZone,
    address1: null,
    address2: null,
    postalCode: null,
    company: a.company,
    city: null,
    state: null,
    country: null,
    locale: null,
    phone: null,
    notes: a.notes,
    isMigrated: false,
    accountBalance: withBalance || withCBA ? state.accountBalance(a.accountId) : null,
    accountCBA: withCBA ? state.accountCBA(a.accountId) : null,
    auditLogs: [],
  }
}

export function subscriptionJson(s: SubscriptionRecord): Record<string, unknown> {
  return {
    accountId: s.accountId,
    bundleId: s.bundleId,
    bundleExternalKey: s.externalKey,
    subscriptionId: s.subscriptionId,
    externalKey: s.externalKey,
    startDate: s.startDate,
    productName: s.productName,
    productCategory: s.productCategory,
    billingPeriod: s.billingPeriod,
    phaseType: 'EVERGREEN',
    priceList: s.priceList,
    planName: s.planName,
    state: s.state,
    sourceType: 'NATIVE',
    cancelledDate: s.cancelledDate,
    chargedThroughDate: null,
    billingStartDate: s.startDate,
    billingEndDate: s.cancelledDate,
    billCycleDayLocal: null,
    quantity: 1,
    events: [],
    priceOverrides: null,
    prices: [],
    auditLogs: [],
  }
}

export function bundleJson(b: BundleRecord, subscriptions: SubscriptionRecord[]): Record<string, unknown> {
  return {
    accountId: b.accountId,
    bundleId: b.bundleId,
    externalKey: b.externalKey,
    subscriptions: subscriptions.map((s) => subscriptionJson(s)),
    timeline: null,
    auditLogs: [],
  }
}

export function customFieldJson(f: CustomFieldRecord): Record<string, unknown> {
  return {customFieldId: f.customFieldId, objectId: f.objectId, objectType: f.objectType, name: f.name, value: f.value, auditLogs: []}
}

export function invoiceItemJson(i: InvoiceItemRecord): Record<string, unknown> {
  return {
    invoiceItemId: i.invoiceItemId,
    invoiceId: i.invoiceId,
    linkedInvoiceItemId: i.linkedInvoiceItemId,
    accountId: i.accountId,
    childAccountId: null,
    bundleId: i.bundleId,
    subscriptionId: i.subscriptionId,
    productName: i.productName,
    planName: i.planName,
    phaseName: i.phaseName,
    usageName: i.usageName,
    prettyProductName: null,
    prettyPlanName: null,
    prettyPhaseName: null,
    prettyUsageName: null,
    itemType: i.itemType,
    description: i.description,
    startDate: i.startDate,
    endDate: i.endDate,
    amount: i.amount,
    rate: i.rate,
    currency: i.currency,
    quantity: i.quantity,
    itemDetails: i.itemDetails,
    catalogEffectiveDate: null,
    childItems: null,
    auditLogs: [],
  }
}

export function invoiceJson(inv: InvoiceRecord, withItems: boolean): Record<string, unknown> {
  return {
    amount: invoiceAmount(inv),
    currency: inv.currency,
    status: inv.status,
    creditAdj: invoiceCreditAdj(inv),
    refundAdj: 0,
    invoiceId: inv.invoiceId,
    invoiceDate: inv.invoiceDate,
    targetDate: inv.targetDate,
    invoiceNumber: inv.invoiceNumber,
    balance: inv.status === 'COMMITTED' ? invoiceBalance(inv) : 0,
    accountId: inv.accountId,
    bundleKeys: null,
    credits: null,
    items: withItems ? inv.items.map((i) => invoiceItemJson(i)) : [],
    trackingIds: [],
    isParentInvoice: false,
    parentInvoiceId: null,
    parentAccountId: null,
    auditLogs: [],
  }
}
