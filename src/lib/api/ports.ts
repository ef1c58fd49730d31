/**
 * What `serve`'s identity and billing routes call: the libraries of src/lib/identity/ and
 * src/lib/billing/ implement these interfaces and are injected when the server is built
 * (`buildApiServer({identity, billing})`). Without an implementation the routes answer 501
 * `{success: false, error: 'NotImplemented'}`.
 *
 * Contract for implementations:
 * - every method is idempotent under the app's retries (up to 10, each a new request): a user or
 *   team that exists already (ours) is returned, grants/revokes/deletes are no-ops the second time,
 *   a delete of something already gone resolves normally;
 * - a refusal that is the caller's to fix is thrown as `ServiceRefusal` (its status and name are
 *   answered as they are); an outside system's failure is thrown as it comes (`HttpError` of
 *   src/lib/http: 5xx → 502, unreachable → 503, timeout → 504; a 404 → 404, a 409 → 409);
 *   anything else is a bug of ours (500, message only, no traceback);
 * - nothing thrown carries a password, a token or a secret (messages are shown to the app's users).
 */
import type {KeystoneAuth} from '../openstack/keystone.js'

/** A refusal the caller must fix (not a failure of ours or of an outside system). */
export class ServiceRefusal extends Error {
  constructor(
    /** 4xx: 400 bad value, 404 not found (or not this account's), 409 conflict, 422 refused by a rule (e.g. credits below the threshold). */
    readonly httpStatus: number,
    /** The `error` field of the answer, e.g. `NotFound`, `InsufficientCredits`. */
    readonly errorName: string,
    message: string,
  ) {
    super(message)
    this.name = 'ServiceRefusal'
  }
}

/** The credentials of a request's `cloud_env` (the admin's, for every identity call the app makes). */
export interface CloudCredentials {
  auth: KeystoneAuth
  /** `cloud_env` as sent (to pass on as the original service did; contains the password). */
  raw: Record<string, unknown>
}

export type TeamRoleName = 'admin' | 'member' | 'watcher'

export interface IdentityService {
  /** `POST /user`: Keystone user `CM_<username>`; an existing one of ours is returned. */
  createUser(req: {cloud: CloudCredentials; email?: string; name?: string; password: string; username: string}): Promise<{userCloudId: string; username: string}>
  /** `PATCH /user`: at least one of email, password. `updated` as the app reads it: `[["cloud_user", id, "email"|"password"], …]`. */
  updateUser(req: {cloud: CloudCredentials; cloudUserId: string; email?: string; password?: string}): Promise<{updated: [string, string, string][]}>
  /** `DELETE /user`: a user already gone resolves. */
  deleteUser(req: {cloud: CloudCredentials; cloudUserId: string}): Promise<void>
  /**
   * `POST /team`: project `CM_<name>`, its role grants and a Kill Bill account. `projectId` /
   * `billingAcctId` are given when an earlier attempt set them (the app sends them back): reuse.
   */
  createTeam(req: {billingAcctId?: string; cloud: CloudCredentials; name: string; projectId?: string}): Promise<{billingAcctId: string; projectId: string}>
  /** `DELETE /team`: close the account, delete the project; what is already gone resolves. */
  deleteTeam(req: {billingAcctId?: string; cloud: CloudCredentials; projectId?: string}): Promise<void>
  /** `POST /team_role`. */
  grantRole(req: {cloud: CloudCredentials; projectId: string; role: TeamRoleName; userId: string}): Promise<void>
  /** `PATCH /team_role`: the new role granted, then the current one revoked. */
  changeRole(req: {cloud: CloudCredentials; currentRole: TeamRoleName; newRole: TeamRoleName; projectId: string; userId: string}): Promise<void>
  /** `DELETE /team_role`. */
  revokeRole(req: {cloud: CloudCredentials; projectId: string; role: TeamRoleName; userId: string}): Promise<void>
}

/** An invoice as the app parses it (concertim-api.md §7.2, "Invoice object"): `items` keyed by item id. */
export type Invoice = Record<string, unknown>

export interface BillingService {
  /** `POST /get_draft_invoice`: null when there is nothing to invoice (the route answers 204). */
  draftInvoice(req: {billingAcctId: string; targetDate?: string}): Promise<Invoice | null>
  /** `POST /list_paginated_invoices`. */
  listInvoices(req: {billingAcctId: string; limit: number; offset: number}): Promise<{invoices: Invoice[]; total: number}>
  /** `POST /get_account_invoice`: an invoice of another account is a `ServiceRefusal(404, 'NotFound', …)`. */
  getInvoice(req: {billingAcctId: string; invoiceId: string}): Promise<Invoice>
  /** `POST /credits`: amount > 0 (checked by the route too). */
  addCredits(req: {amount: number; billingAcctId: string}): Promise<{credits: number}>
  /** `POST /get_credits`. */
  getCredits(req: {billingAcctId: string}): Promise<{credits: number}>
  /** `POST /create_order`: below the credit threshold a `ServiceRefusal(422, 'InsufficientCredits', …)`. */
  createOrder(req: {billingAcctId: string}): Promise<{orderId: string}>
  /** `POST /delete_order`: an order already cancelled resolves. */
  deleteOrder(req: {orderId: string}): Promise<{orderId: string}>
  /** `POST /add_order_tag`: setting the same tag twice is a no-op. */
  addOrderTag(req: {orderId: string; tagName: string; tagValue: string}): Promise<{tag: string}>
}
