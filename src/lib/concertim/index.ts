/**
 * Concertim: the app API client, the metric reporting daemon client and the decoding of the
 * original service's legacy values.
 */
import type {ConcertimSection} from '../config/schema.js'
import type {HttpContext} from '../http/index.js'
import {ConcertimClient} from './client.js'
import {MrdClient} from './mrd.js'

export {API_PREFIX, ConcertimClient, type ConcertimClientOptions, type ConcertimCredentials, type DeleteOptions, deviceIdsOf, LOGIN_PATH} from './client.js'
export {ConcertimAuthError, ConcertimTokenRefusedError, ConcertimValidationError, type FieldMessages, fieldMessagesOf, isRecordNotFound} from './errors.js'
export {decodeLegacyValue, decodeMetadata, type LegacyDecoded, looksLikePythonRepr, parsePythonLiteral} from './legacy.js'
export {moneyString, parseMoney} from './money.js'
export {type Metric, type MetricProblem, type MetricResult, type MetricSlope, type MetricType, MrdClient, type TokenSource} from './mrd.js'
export type * from './types.js'
export {DETAILS_FIELDS, DETAILS_TYPE_OF} from './types.js'

/** The default rack height when the configuration gives none (the original's `DEFAULT_RACK_HEIGHT`). */
export const DEFAULT_RACK_HEIGHT = 42

export interface Concertim {
  api: ConcertimClient
  /** Height of the racks this tool creates (`concertim.default_rack_height`). */
  defaultRackHeight: number
  mrd: MrdClient
}

/** The section keys this factory reads (the original's, plus `mrd_url`, `ca_file`, `insecure`). */
export type ConcertimConfig = Pick<ConcertimSection, 'concertim_password' | 'concertim_url' | 'concertim_username'> &
  Partial<Pick<ConcertimSection, 'ca_file' | 'default_rack_height' | 'insecure' | 'mrd_url'>>

/**
 * The Concertim clients for a `concertim:` configuration section. The MRD defaults to
 * `<concertim_url>/mrd` (Concertim's proxy strips the prefix, §1.1) and uses the app login's token.
 */
export function createConcertim(section: ConcertimConfig, ctx: HttpContext = {}): Concertim {
  const tls = section.ca_file !== undefined || section.insecure !== undefined ? {caFile: section.ca_file ?? undefined, insecure: section.insecure === true} : ctx.tls
  const context: HttpContext = {...ctx, tls}
  const url = section.concertim_url.replace(/\/+$/, '')
  const api = new ConcertimClient({password: section.concertim_password, url, username: section.concertim_username}, context)
  const mrd = new MrdClient(section.mrd_url ?? `${url}/mrd`, api, context)
  return {api, defaultRackHeight: section.default_rack_height ?? DEFAULT_RACK_HEIGHT, mrd}
}
