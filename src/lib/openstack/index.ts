/**
 * The OpenStack facade: one Keystone session shared by every service client. Clients are built on
 * first use, and a service missing from the catalog fails only when something calls it.
 */
import type {HttpContext} from '../http/index.js'
import {CinderClient} from './cinder.js'
import {CloudKittyClient} from './cloudkitty.js'
import {keystoneAuthFromConfig, openStackOptionsFromConfig} from './config-section.js'
import {GnocchiClient} from './gnocchi.js'
import {HeatClient} from './heat.js'
import {KeystoneSession} from './keystone.js'
import {NeutronClient} from './neutron.js'
import {NovaClient} from './nova.js'

export interface OpenStack {
  readonly cinder: CinderClient
  readonly cloudkitty: CloudKittyClient
  readonly gnocchi: GnocchiClient
  readonly heat: HeatClient
  readonly keystone: KeystoneSession
  readonly neutron: NeutronClient
  readonly nova: NovaClient
}

/** Build the clients from the `openstack` configuration section (see `config-section.ts` for its keys). */
export function createOpenStack(section: Record<string, unknown>, ctx: HttpContext = {}, extra: {clock?: () => number} = {}): OpenStack {
  const auth = keystoneAuthFromConfig(section)
  const options = openStackOptionsFromConfig(section)
  // The section's own TLS settings (ca_file, insecure) apply to every OpenStack service.
  const caFile = typeof section.ca_file === 'string' && section.ca_file !== '' ? section.ca_file : undefined
  const tls = caFile !== undefined || section.insecure === true ? {caFile, insecure: section.insecure === true} : ctx.tls
  const keystone = new KeystoneSession(
    {auth, clock: extra.clock, endpointOverrides: options.endpointOverrides, interface: options.interface, region: options.region, renewMarginMs: options.renewMarginMs},
    {...ctx, tls},
  )
  const pageSize = options.pageSize
  let cinder: CinderClient | undefined
  let cloudkitty: CloudKittyClient | undefined
  let gnocchi: GnocchiClient | undefined
  let heat: HeatClient | undefined
  let neutron: NeutronClient | undefined
  let nova: NovaClient | undefined
  return {
    get cinder() {
      return (cinder ??= new CinderClient(keystone, {pageSize}))
    },
    get cloudkitty() {
      return (cloudkitty ??= new CloudKittyClient(keystone, {pageSize}))
    },
    get gnocchi() {
      return (gnocchi ??= new GnocchiClient(keystone, {pageSize}))
    },
    get heat() {
      return (heat ??= new HeatClient(keystone, {pageSize}))
    },
    keystone,
    get neutron() {
      return (neutron ??= new NeutronClient(keystone, {pageSize}))
    },
    get nova() {
      return (nova ??= new NovaClient(keystone, {microversion: options.computeMicroversion, pageSize}))
    },
  }
}

export {type ServiceType, selectEndpoint, describeCatalog, endpointUrl} from './catalog.js'
export {CinderClient} from './cinder.js'
export {CloudKittyClient, type SummaryRequest, type SummaryResult} from './cloudkitty.js'
export {type KeystoneAuth, keystoneAuthFromConfig, openStackOptionsFromConfig, type OpenStackOptions} from './config-section.js'
export {AuthenticationError, EndpointNotFoundError, KeystoneBadRequestError, KeystoneConflictError, KeystoneForbiddenError, KeystoneNotFoundError, KeystoneWriteError, MicroversionError, PagingLoopError} from './errors.js'
export {type AggregatesRequest, GnocchiClient, type MeasuresOptions} from './gnocchi.js'
export {HeatClient} from './heat.js'
export {KeystoneSession, type KeystoneListing, type KeystoneSessionOptions, type KeystoneToken, type TokenScope} from './keystone.js'
export {NeutronClient} from './neutron.js'
export {isCompleteServer, isEmbeddedFlavor, NovaClient, type ServerListing} from './nova.js'
export type * from './types.js'
