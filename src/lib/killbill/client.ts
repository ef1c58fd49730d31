/**
 * The Kill Bill REST client (reference/openstack-anchors.md §11; original-service.md §7).
 *
 * - Every request: HTTP Basic auth plus `X-Killbill-ApiKey` / `X-Killbill-ApiSecret` (the tenant).
 * - Every write: `X-Killbill-CreatedBy: concertim-os`, and `X-Killbill-Reason` / `X-Killbill-Comment`
 *   when the caller gives an `Audit`.
 * - Creations answer 201 with a `Location` header and no body: the client follows it and returns
 *   the created object.
 * - A usage record carries a `trackingId`; Kill Bill refuses a second record with the same id for
 *   the subscription (400, code 50000 `USAGE_RECORD_TRACKING_ID_ALREADY_EXISTS`), which means "already
 *   recorded": `recordUsage` reports it as `duplicate`, not as a failure. That also makes the POST
 *   safe to retry.
 * - Single-object GETs return null on 404; listings are paged with `offset`/`limit` and the
 *   `X-Killbill-Pagination-*` headers.
 */
import {HttpClient, type HttpContext, HttpError, type HttpResponse} from '../http/index.js'
import {registerSecret} from '../output/redact.js'
import {
  type Account,
  type Audit,
  type Bundle,
  type CustomField,
  type Invoice,
  type InvoiceDryRun,
  type InvoiceItem,
  type NewAccount,
  type NewCredit,
  type NewSubscription,
  type Page,
  type RolledUpUsage,
  STACK_ID_FIELD,
  type Subscription,
  type UsageRecord,
} from './types.js'

export const KB_PREFIX = '/1.0/kb'
export const CREATED_BY = 'concertim-os'
/** Kill Bill's `ErrorCode.USAGE_RECORD_TRACKING_ID_ALREADY_EXISTS`. */
export const TRACKING_ID_EXISTS_CODE = 50_000
const DEFAULT_PAGE_SIZE = 100

export interface KillBillCredentials {
  /** The tenant's API key and secret. */
  apiKey: string
  apiSecret: string
  /** Kill Bill base URL, e.g. `http://killbill.example:8080` (with or without `/1.0/kb`). */
  apiHost: string
  password: string
  username: string
}

/** Objects that carry custom fields, and their REST collection. */
const CUSTOM_FIELD_OWNERS = {ACCOUNT: 'accounts', BUNDLE: 'bundles', INVOICE: 'invoices', SUBSCRIPTION: 'subscriptions'} as const
export type CustomFieldOwner = keyof typeof CUSTOM_FIELD_OWNERS

export interface PageRequest {
  limit?: number
  offset?: number
}

export type UsageOutcome = 'duplicate' | 'recorded'

export class KillBillClient {
  readonly baseUrl: string
  private readonly http: HttpClient

  constructor(credentials: KillBillCredentials, ctx: HttpContext = {}) {
    this.baseUrl = credentials.apiHost.replace(/\/+$/, '').replace(/\/1\.0\/kb$/, '')
    for (const secret of [credentials.password, credentials.apiSecret]) registerSecret(secret)
    this.http = new HttpClient({
      ...ctx,
      baseURL: this.baseUrl,
      headers: {
        ...ctx.headers,
        Accept: 'application/json',
        Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
        'X-Killbill-ApiKey': credentials.apiKey,
        'X-Killbill-ApiSecret': credentials.apiSecret,
      },
      system: 'killbill',
    })
  }

  // -------------------------------------------------------------------------------------------
  // Accounts

  async createAccount(account: NewAccount, audit?: Audit): Promise<Account> {
    const res = await this.http.post(`${KB_PREFIX}/accounts`, account, {headers: writeHeaders(audit)})
    return this.created<Account>(res)
  }

  /** The account, with its balance and credit balance (`accountCBA`) when asked; null when unknown. */
  async account(accountId: string, opts: {withBalanceAndCBA?: boolean} = {}): Promise<Account | null> {
    return this.getOrNull<Account>(`${KB_PREFIX}/accounts/${enc(accountId)}`, opts.withBalanceAndCBA ? {accountWithBalanceAndCBA: true} : undefined)
  }

  async accountByExternalKey(externalKey: string, opts: {withBalanceAndCBA?: boolean} = {}): Promise<Account | null> {
    return this.getOrNull<Account>(`${KB_PREFIX}/accounts`, {externalKey, ...(opts.withBalanceAndCBA ? {accountWithBalanceAndCBA: true} : {})})
  }

  async accountsPage(page: PageRequest = {}): Promise<Page<Account>> {
    return this.page<Account>(`${KB_PREFIX}/accounts/pagination`, page)
  }

  async searchAccountsPage(searchKey: string, page: PageRequest = {}): Promise<Page<Account>> {
    return this.page<Account>(`${KB_PREFIX}/accounts/search/${enc(searchKey)}`, page)
  }

  /** Every account, page after page. */
  async accounts(pageSize = DEFAULT_PAGE_SIZE): Promise<Account[]> {
    return this.allPages((offset) => this.accountsPage({limit: pageSize, offset}))
  }

  /** Close an account (the original's `delete_account`); subscriptions are left as they are. */
  async closeAccount(accountId: string, audit?: Audit): Promise<void> {
    await this.http.delete(`${KB_PREFIX}/accounts/${enc(accountId)}`, {headers: writeHeaders(audit)})
  }

  /**
   * Create an account and return its id, the last segment of the `Location` header (as the
   * original did), without reading the account back: one call.
   */
  async createAccountId(account: NewAccount, audit?: Audit): Promise<string> {
    const res = await this.http.post(`${KB_PREFIX}/accounts`, account, {headers: writeHeaders(audit)})
    const id = res.headers.location?.replace(/\/+$/, '').split('/').pop()
    if (!id) throw new HttpError({body: res.data, kind: 'status', method: 'POST', problem: `answered HTTP ${res.status} without a Location header`, status: res.status, system: 'killbill', url: res.url})
    return decodeURIComponent(id.split('?')[0])
  }

  /** Add custom fields to an object without reading them back: one call. */
  async addCustomFieldsOnly(owner: CustomFieldOwner, objectId: string, fields: {name: string; value: string}[], audit?: Audit): Promise<void> {
    await this.http.post(`${KB_PREFIX}/${CUSTOM_FIELD_OWNERS[owner]}/${enc(objectId)}/customFields`, fields.map((f) => ({name: f.name, value: f.value})), {headers: writeHeaders(audit)})
  }

  // -------------------------------------------------------------------------------------------
  // Bundles and subscriptions

  async accountBundles(accountId: string): Promise<Bundle[]> {
    return (await this.http.get<Bundle[]>(`${KB_PREFIX}/accounts/${enc(accountId)}/bundles`)).data
  }

  /** Every subscription of an account, across its bundles. */
  async accountSubscriptions(accountId: string): Promise<Subscription[]> {
    return (await this.accountBundles(accountId)).flatMap((b) => b.subscriptions ?? [])
  }

  async subscription(subscriptionId: string): Promise<Subscription | null> {
    return this.getOrNull<Subscription>(`${KB_PREFIX}/subscriptions/${enc(subscriptionId)}`)
  }

  async createSubscription(subscription: NewSubscription, audit?: Audit): Promise<Subscription> {
    const res = await this.http.post(`${KB_PREFIX}/subscriptions`, subscription, {headers: writeHeaders(audit)})
    return this.created<Subscription>(res)
  }

  /** Cancel a subscription (the original's `delete_cluster_order`). */
  async cancelSubscription(subscriptionId: string, audit?: Audit): Promise<void> {
    await this.http.delete(`${KB_PREFIX}/subscriptions/${enc(subscriptionId)}`, {headers: writeHeaders(audit)})
  }

  // -------------------------------------------------------------------------------------------
  // Custom fields

  async customFields(owner: CustomFieldOwner, objectId: string): Promise<CustomField[]> {
    return (await this.http.get<CustomField[]>(`${KB_PREFIX}/${CUSTOM_FIELD_OWNERS[owner]}/${enc(objectId)}/customFields`)).data
  }

  /** Add fields to an object; returns the object's custom fields afterwards (the `Location` followed). */
  async addCustomFields(owner: CustomFieldOwner, objectId: string, fields: {name: string; value: string}[], audit?: Audit): Promise<CustomField[]> {
    const path = `${KB_PREFIX}/${CUSTOM_FIELD_OWNERS[owner]}/${enc(objectId)}/customFields`
    const res = await this.http.post(path, fields.map((f) => ({name: f.name, value: f.value})), {headers: writeHeaders(audit)})
    if (Array.isArray(res.data)) return res.data as CustomField[]
    return res.headers.location ? this.follow<CustomField[]>(res.headers.location) : this.customFields(owner, objectId)
  }

  /** Custom fields by object type, name and (optionally) value: `GET /customFields/search?objectType&fieldName&fieldValue`. */
  async findCustomFieldsPage(query: {name: string; objectType: CustomFieldOwner; value?: string}, page: PageRequest = {}): Promise<Page<CustomField>> {
    return this.page<CustomField>(`${KB_PREFIX}/customFields/search`, page, {fieldName: query.name, fieldValue: query.value, objectType: query.objectType})
  }

  async findCustomFields(query: {name: string; objectType: CustomFieldOwner; value?: string}, pageSize = DEFAULT_PAGE_SIZE): Promise<CustomField[]> {
    return this.allPages((offset) => this.findCustomFieldsPage(query, {limit: pageSize, offset}))
  }

  /** Free-text search over custom field names and values (`GET /customFields/search/{key}`, what the original used). */
  async searchCustomFields(searchKey: string, pageSize = DEFAULT_PAGE_SIZE): Promise<CustomField[]> {
    return this.allPages((offset) => this.page<CustomField>(`${KB_PREFIX}/customFields/search/${enc(searchKey)}`, {limit: pageSize, offset}))
  }

  /**
   * The subscriptions tagged with this OpenStack stack id (custom field `openstack_stack_id`), in any
   * state: the caller decides what several, or a cancelled one, mean.
   */
  async subscriptionsForStack(stackId: string): Promise<Subscription[]> {
    const fields = await this.findCustomFields({name: STACK_ID_FIELD, objectType: 'SUBSCRIPTION', value: stackId})
    const ids = [...new Set(fields.filter((f) => f.value === stackId && f.objectId !== undefined).map((f) => f.objectId as string))]
    const subs = await Promise.all(ids.map(async (id) => this.subscription(id)))
    return subs.filter((s): s is Subscription => s !== null)
  }

  // -------------------------------------------------------------------------------------------
  // Usage

  /**
   * Record usage. `recorded`, or `duplicate` when Kill Bill already holds a record with this
   * tracking id for the subscription (so a repeated run never bills twice).
   */
  async recordUsage(record: UsageRecord, audit?: Audit): Promise<UsageOutcome> {
    if (record.trackingId.trim() === '') throw new RangeError('a usage record needs a trackingId')
    try {
      await this.http.post(`${KB_PREFIX}/usages`, record, {headers: writeHeaders(audit), idempotent: true})
      return 'recorded'
    } catch (error) {
      if (isDuplicateTrackingId(error)) return 'duplicate'
      throw error
    }
  }

  /** The usage of one unit type summed over `[startDate, endDate)` (dates `YYYY-MM-DD`). */
  async usage(subscriptionId: string, unitType: string, range: {endDate: string; startDate: string}): Promise<RolledUpUsage> {
    return (await this.http.get<RolledUpUsage>(`${KB_PREFIX}/usages/${enc(subscriptionId)}/${enc(unitType)}`, {params: {endDate: range.endDate, startDate: range.startDate}})).data
  }

  /**
   * Every unit type's usage of a subscription summed over `[startDate, endDate)`, in one call
   * (`GET /usages/{subscriptionId}`); null when Kill Bill does not know the subscription (404).
   */
  async rolledUpUsage(subscriptionId: string, range: {endDate: string; startDate: string}): Promise<RolledUpUsage | null> {
    const res = await this.http.get<RolledUpUsage>(`${KB_PREFIX}/usages/${enc(subscriptionId)}`, {accept: [404], params: {endDate: range.endDate, startDate: range.startDate}})
    return res.status === 404 ? null : res.data
  }

  // -------------------------------------------------------------------------------------------
  // Credits and invoices

  /** Add a credit (committed at once). Returns the credit items created (a CREDIT_ADJ item carries -amount). */
  async addCredit(credit: NewCredit, audit?: Audit): Promise<InvoiceItem[]> {
    const item = {accountId: credit.accountId, amount: credit.amount, currency: credit.currency ?? 'USD', description: credit.description}
    const res = await this.http.post(`${KB_PREFIX}/credits`, [item], {headers: writeHeaders(audit), params: {autoCommit: true}})
    // Kill Bill ≥ 0.22 answers 200 with the items; older ones 201 with a Location.
    if (Array.isArray(res.data)) return res.data as InvoiceItem[]
    if (res.headers.location) {
      const created = await this.follow<InvoiceItem | InvoiceItem[]>(res.headers.location)
      return Array.isArray(created) ? created : [created]
    }
    return []
  }

  async accountInvoices(accountId: string, opts: {includeVoided?: boolean; unpaidOnly?: boolean} = {}): Promise<Invoice[]> {
    const params = {includeVoidedInvoices: opts.includeVoided, unpaidInvoicesOnly: opts.unpaidOnly}
    return (await this.http.get<Invoice[]>(`${KB_PREFIX}/accounts/${enc(accountId)}/invoices`, {params})).data
  }

  async accountInvoicesPage(accountId: string, page: PageRequest = {}): Promise<Page<Invoice>> {
    return this.page<Invoice>(`${KB_PREFIX}/accounts/${enc(accountId)}/invoices/pagination`, page)
  }

  /** Some invoices of an account, with their items (`invoicesFilter`, `includeInvoiceComponents`), in one call. */
  async accountInvoicesWithItems(accountId: string, invoiceIds: readonly string[]): Promise<Invoice[]> {
    if (invoiceIds.length === 0) return []
    const params = {includeInvoiceComponents: true, invoicesFilter: invoiceIds.join(',')}
    return (await this.http.get<Invoice[]>(`${KB_PREFIX}/accounts/${enc(accountId)}/invoices`, {params})).data
  }

  /** One invoice with its items; null when unknown (404). */
  async invoiceWithItems(invoiceId: string): Promise<Invoice | null> {
    return this.getOrNull<Invoice>(`${KB_PREFIX}/invoices/${enc(invoiceId)}`, {withItems: true})
  }

  async invoice(invoiceId: string): Promise<Invoice | null> {
    return this.getOrNull<Invoice>(`${KB_PREFIX}/invoices/${enc(invoiceId)}`)
  }

  /**
   * A dry-run invoice (writes nothing: allowed under --dry-run). Default `UPCOMING_INVOICE`, as the
   * original's draft. Null when there is nothing to invoice (204).
   */
  async dryRunInvoice(accountId: string, opts: {dryRun?: InvoiceDryRun; targetDate?: string} = {}): Promise<Invoice | null> {
    const res = await this.http.post<Invoice | ''>(`${KB_PREFIX}/invoices/dryRun`, opts.dryRun ?? {dryRunType: 'UPCOMING_INVOICE'}, {
      headers: writeHeaders(),
      idempotent: true,
      params: {accountId, targetDate: opts.targetDate},
      readOnly: true,
    })
    return res.status === 204 || res.data === '' || res.data === null || res.data === undefined ? null : (res.data as Invoice)
  }

  // -------------------------------------------------------------------------------------------

  private async getOrNull<T>(path: string, params?: Record<string, boolean | number | string | undefined>): Promise<T | null> {
    const res = await this.http.get<T>(path, {accept: [404], params})
    return res.status === 404 ? null : res.data
  }

  private async page<T>(path: string, page: PageRequest, params: Record<string, string | undefined> = {}): Promise<Page<T>> {
    const offset = page.offset ?? 0
    const limit = page.limit ?? DEFAULT_PAGE_SIZE
    const res = await this.http.get<T[]>(path, {params: {...params, limit, offset}})
    const items = Array.isArray(res.data) ? res.data : []
    const total = numberHeader(res.headers['x-killbill-pagination-totalnbrecords'])
    let nextOffset = numberHeader(res.headers['x-killbill-pagination-nextoffset'])
    if (nextOffset === undefined && res.headers['x-killbill-pagination-nextpageuri'] === undefined) {
      // No paging headers: a full page may have more after it, unless the total says otherwise.
      const end = offset + items.length
      nextOffset = items.length >= limit && (total === undefined || end < total) ? end : undefined
    }
    if (nextOffset !== undefined && nextOffset <= offset) nextOffset = undefined
    return {items, nextOffset, offset, total}
  }

  private async allPages<T>(fetch: (offset: number) => Promise<Page<T>>): Promise<T[]> {
    const out: T[] = []
    let offset: number | undefined = 0
    while (offset !== undefined) {
      const page: Page<T> = await fetch(offset)
      out.push(...page.items)
      offset = page.items.length === 0 ? undefined : page.nextOffset
    }
    return out
  }

  /** A 201's object: the body when Kill Bill sent one, else a GET of its `Location`. */
  private async created<T>(res: HttpResponse<unknown>): Promise<T> {
    if (res.data !== undefined && res.data !== null && res.data !== '' && typeof res.data === 'object') return res.data as T
    const location = res.headers.location
    if (!location) {
      throw new HttpError({body: res.data, kind: 'status', method: 'POST', problem: `answered HTTP ${res.status} without a Location header`, status: res.status, system: 'killbill', url: res.url})
    }
    return this.follow<T>(location)
  }

  /**
   * GET a `Location`. Kill Bill builds it from the host it saw, which behind a proxy may not be ours:
   * its path and query are resolved against the configured base URL.
   */
  private async follow<T>(location: string): Promise<T> {
    const target = new URL(location, `${this.baseUrl}/`)
    const base = new URL(`${this.baseUrl}/`)
    let path = target.pathname
    const prefix = base.pathname.replace(/\/+$/, '')
    if (prefix !== '' && path.startsWith(`${prefix}/`)) path = path.slice(prefix.length)
    return (await this.http.get<T>(`${path}${target.search}`)).data
  }
}

function writeHeaders(audit: Audit = {}): Record<string, string> {
  const headers: Record<string, string> = {'X-Killbill-CreatedBy': CREATED_BY}
  if (audit.reason !== undefined) headers['X-Killbill-Reason'] = audit.reason
  if (audit.comment !== undefined) headers['X-Killbill-Comment'] = audit.comment
  return headers
}

/** Kill Bill's answer to a usage record whose tracking id it already has. */
export function isDuplicateTrackingId(error: unknown): boolean {
  if (!(error instanceof HttpError) || error.status !== 400) return false
  const body = error.body as {code?: unknown; message?: unknown} | null | undefined
  if (body && typeof body === 'object' && Number(body.code) === TRACKING_ID_EXISTS_CODE) return true
  const message = typeof body === 'object' && body !== null && typeof body.message === 'string' ? body.message : String(error.serverMessage ?? '')
  return /tracking ?id .* already exists/i.test(message)
}

function numberHeader(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

function enc(id: string): string {
  return encodeURIComponent(id)
}
