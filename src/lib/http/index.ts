export {CallLedger, type CallSummaryRow, isWriteMethod, type SystemCalls} from './calls.js'
export {DEFAULT_HTTP_SETTINGS, HttpClient, type HttpClientOptions, type HttpResponse, type HttpSettings, type RequestOptions, retryAfterMs, type TlsOptions} from './client.js'
export {HttpError, type HttpFailureKind, redactUrl, serverMessageOf} from './errors.js'

/** What every client of a system needs from the HTTP layer, except its own name and base URL. */
export type HttpContext = Omit<import('./client.js').HttpClientOptions, 'baseURL' | 'system'>
