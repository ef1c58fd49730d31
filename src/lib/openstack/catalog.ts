/**
 * The Keystone service catalog: which URL serves a service, for an interface and a region, with
 * per-service overrides from the configuration.
 */
import {EndpointNotFoundError} from './errors.js'
import type {CatalogService, EndpointInterface} from './types.js'

/** The services this tool talks to, by their official service type. */
export type ServiceType = 'block-storage' | 'compute' | 'identity' | 'metric' | 'network' | 'orchestration' | 'rating'

/** Catalog types that serve a service, best first (service-types-authority aliases). */
export const SERVICE_TYPE_ALIASES: Record<ServiceType, string[]> = {
  'block-storage': ['block-storage', 'volumev3', 'volume'],
  compute: ['compute'],
  identity: ['identity'],
  metric: ['metric'],
  network: ['network'],
  orchestration: ['orchestration'],
  rating: ['rating'],
}

/** Name of the system behind each service, for call accounting, logs and errors. */
export const SYSTEM_OF: Record<ServiceType, string> = {
  'block-storage': 'cinder',
  compute: 'nova',
  identity: 'keystone',
  metric: 'gnocchi',
  network: 'neutron',
  orchestration: 'heat',
  rating: 'cloudkitty',
}

/**
 * Endpoints that cannot serve the API version we speak: Cinder registered under the legacy `volume`
 * type often still points at v1/v2.
 */
const WRONG_VERSION: Partial<Record<ServiceType, RegExp>> = {
  'block-storage': /\/v[12](\/|$)/,
}

/** The canonical service type of a catalog type or alias (`volumev3` → `block-storage`), if we use it. */
export function canonicalServiceType(type: string): ServiceType | undefined {
  for (const [canonical, aliases] of Object.entries(SERVICE_TYPE_ALIASES) as [ServiceType, string[]][]) {
    if (aliases.includes(type)) return canonical
  }
  return undefined
}

/** Overrides keyed by canonical type, whatever alias the configuration used. */
export function normaliseOverrides(overrides: Record<string, string> = {}): Partial<Record<ServiceType, string>> {
  const out: Partial<Record<ServiceType, string>> = {}
  for (const [type, url] of Object.entries(overrides)) {
    const canonical = canonicalServiceType(type)
    // A type we never call (e.g. `image`) has nothing to override.
    if (canonical !== undefined) out[canonical] = url
  }
  return out
}

/**
 * Keystone's own templates for the project in an endpoint URL: `%(project_id)s` / `%(tenant_id)s`
 * (its SQL catalog) and `$(project_id)s` / `$(tenant_id)s` (its templated catalog). Heat's and
 * Cinder's URLs carry the project (`/v1/%(tenant_id)s`): an override written with the template
 * serves every project's token, where one with an id written in serves only that project.
 */
const PROJECT_TEMPLATE = /[$%]\((?:project_id|tenant_id)\)s/g

/** Whether an endpoint URL names the project through a template. */
export function namesProject(url: string): boolean {
  PROJECT_TEMPLATE.lastIndex = 0
  return PROJECT_TEMPLATE.test(url)
}

/** The URL with the project's templates filled in for the token's project (undefined: not project-scoped). */
export function forProject(url: string, projectId: string | undefined, serviceType: ServiceType): string {
  if (!namesProject(url)) return url
  if (projectId === undefined) throw new Error(`openstack.endpoint_overrides.${serviceType} names the project (${url}) but the token is not scoped to a project`)
  return url.replaceAll(PROJECT_TEMPLATE, encodeURIComponent(projectId))
}

/**
 * Overrides of per-project services (Heat, Cinder) that name one project's id instead of the
 * template: fine for the configured admin, wrong for `serve`'s callers, whose requests would go to
 * that project. By service type (as configured).
 */
export function overridesPinnedToAProject(overrides: Record<string, string>): string[] {
  return Object.entries(overrides)
    .filter(([type, url]) => {
      const canonical = canonicalServiceType(type)
      return (canonical === 'orchestration' || canonical === 'block-storage') && !namesProject(url) && /\/[\da-f]{32}(?:\/|$)/i.test(new URL(url).pathname)
    })
    .map(([type]) => type)
}

export interface EndpointQuery {
  interface: EndpointInterface
  region?: string
  serviceType: ServiceType
}

/** Pick the URL of a service from a catalog, or throw an error that lists what the catalog has. */
export function selectEndpoint(catalog: CatalogService[], q: EndpointQuery): string {
  const types = SERVICE_TYPE_ALIASES[q.serviceType]
  const wrong = WRONG_VERSION[q.serviceType]
  for (const type of types) {
    for (const service of catalog.filter((s) => s.type === type)) {
      const match = service.endpoints.find(
        (e) =>
          normaliseInterface(e.interface) === q.interface &&
          (q.region === undefined || e.region_id === q.region || e.region === q.region) &&
          !(wrong?.test(new URL(e.url).pathname) ?? false),
      )
      if (match) return match.url
    }
  }
  throw new EndpointNotFoundError({available: describeCatalog(catalog), interface: q.interface, region: q.region, serviceType: q.serviceType, types})
}

/** `compute: public@RegionOne, internal@RegionOne; network: ...` — for error messages and `doctor`. */
export function describeCatalog(catalog: CatalogService[]): string[] {
  return catalog.map((s) => {
    const eps = s.endpoints.map((e) => `${normaliseInterface(e.interface)}@${e.region_id ?? e.region ?? '-'}`)
    return `${s.type}: ${[...new Set(eps)].join(', ') || 'no endpoints'}`
  })
}

function normaliseInterface(i: string): string {
  return i.toLowerCase().replace(/url$/, '')
}

/**
 * Join an endpoint and a path. When the endpoint already ends with the path's leading version
 * segment (`…:9696/v2.0` + `v2.0/networks`), the segment is not doubled.
 */
export function endpointUrl(endpoint: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path
  const base = endpoint.replace(/\/+$/, '')
  let rest = path.replace(/^\/+/, '')
  const first = rest.split(/[/?]/, 1)[0]
  if (/^v\d+(\.\d+)?$/.test(first) && base.endsWith(`/${first}`)) rest = rest.slice(first.length).replace(/^\/+/, '')
  return rest === '' ? base : rest.startsWith('?') ? `${base}${rest}` : `${base}/${rest}`
}
