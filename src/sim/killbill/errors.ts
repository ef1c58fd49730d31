/**
 * Kill Bill's error answers (jaxrs `ExceptionMapperBase`): a `BillingExceptionJson` body
 * `{className, code, message, causeClassName, causeMessage, stackTrace}` with 400, 404 or 409
 * depending on the exception and its error code (`ErrorCode`).
 */
import type {SimReply} from '../http-app.js'

export function billingError(status: number, className: string, code: null | number, message: string): SimReply {
  return {body: {causeClassName: null, causeMessage: null, className, code, message, stackTrace: []}, status}
}

export const accountNotFound = (id: string): SimReply =>
  billingError(404, 'org.killbill.billing.account.api.AccountApiException', 3002, `Account does not exist for id ${id}`)

export const accountKeyNotFound = (key: string): SimReply =>
  billingError(404, 'org.killbill.billing.account.api.AccountApiException', 3003, `Account does not exist for key ${key}`)

export const accountExists = (key: string): SimReply =>
  billingError(409, 'org.killbill.billing.account.api.AccountApiException', 3000, `Account already exists for key ${key}`)

export const subscriptionNotFound = (id: string): SimReply =>
  billingError(404, 'org.killbill.billing.entitlement.api.SubscriptionApiException', 1082, `Unknown subscription ${id}`)

export const invoiceNotFound = (id: string): SimReply =>
  billingError(404, 'org.killbill.billing.invoice.api.InvoiceApiException', 4006, `No invoice could be found for id ${id}.`)

export const illegalArgument = (message: string): SimReply => billingError(400, 'java.lang.IllegalArgumentException', null, message)

/** `UUID.fromString` on a malformed id. */
export const invalidUuid = (value: string): SimReply => illegalArgument(`Invalid UUID string: ${value}`)

export const UUID_RE = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/i
