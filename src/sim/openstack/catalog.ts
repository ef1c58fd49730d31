/**
 * Keystone's service catalog for the simulated cloud: one service per simulated OpenStack system,
 * public/internal/admin endpoints with the same URL (as devstack and the minicloud register them),
 * region RegionOne. Heat's and Cinder's URLs carry the token's project id, as their catalog
 * templates (`/v1/%(tenant_id)s`, `/v3/%(project_id)s`) do.
 */
import {hashString} from '../random-source.js'

export type OpenStackService = 'cinder' | 'cloudkitty' | 'glance' | 'gnocchi' | 'heat' | 'keystone' | 'neutron' | 'nova'

export const REGION = 'RegionOne'

const SERVICES: {name: string; path: (projectId: string) => string; system: OpenStackService; type: string}[] = [
  {name: 'keystone', path: () => '/v3', system: 'keystone', type: 'identity'},
  {name: 'nova', path: () => '/v2.1', system: 'nova', type: 'compute'},
  {name: 'neutron', path: () => '', system: 'neutron', type: 'network'},
  {name: 'cinderv3', path: (p) => `/v3/${p}`, system: 'cinder', type: 'volumev3'},
  {name: 'cinder', path: (p) => `/v3/${p}`, system: 'cinder', type: 'block-storage'},
  {name: 'heat', path: (p) => `/v1/${p}`, system: 'heat', type: 'orchestration'},
  {name: 'glance', path: () => '', system: 'glance', type: 'image'},
  {name: 'gnocchi', path: () => '', system: 'gnocchi', type: 'metric'},
  {name: 'cloudkitty', path: () => '', system: 'cloudkitty', type: 'rating'},
]

export interface CatalogEntry {
  endpoints: {id: string; interface: string; region: string; region_id: string; url: string}[]
  id: string
  name: string
  type: string
}

export function catalogFor(endpoints: Partial<Record<OpenStackService, string>>, projectId: string): CatalogEntry[] {
  const out: CatalogEntry[] = []
  for (const s of SERVICES) {
    const root = endpoints[s.system]
    if (root === undefined) continue
    const url = root + s.path(projectId)
    out.push({
      endpoints: ['public', 'internal', 'admin'].map((iface) => ({id: idOf(`${s.name}/${iface}`), interface: iface, region: REGION, region_id: REGION, url})),
      id: idOf(s.name),
      name: s.name,
      type: s.type,
    })
  }
  return out
}

function idOf(s: string): string {
  let out = ''
  let h = hashString(s)
  for (let i = 0; i < 4; i++) {
    h = hashString(`${h}${s}`)
    out += h.toString(16).padStart(8, '0')
  }
  return out
}
