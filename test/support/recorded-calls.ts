/**
 * The calls the simulator serves, as one table shared by the recorder (test/real/record.ts, against
 * a real OpenStack) and the conformance test (test/integration/sim/recorded.test.ts, against the
 * simulator). Paths hold placeholders (`{server}`, `{stack}`, …) that each side resolves to one of
 * its own objects; recorded answers are normalised (URLs, tokens, request ids) and trimmed.
 */
export type CallService = 'cinder' | 'glance' | 'gnocchi' | 'heat' | 'keystone' | 'neutron' | 'nova'

export interface RecordedCall {
  /** Authenticate as the admin (admin project) or as a member of the project that owns `{stack}`. */
  as: 'admin' | 'member' | 'none'
  body?: unknown
  headers?: Record<string, string>
  method: 'GET' | 'POST'
  name: string
  /** Where the next page link is, when the call lists with paging. */
  next?: {kind: 'body'; key: string} | {kind: 'header'}
  /** Path with placeholders, relative to the service's root URL. */
  path: string
  service: CallService
}

export interface CallTargets {
  domainId: string
  flavorId: string
  gnocchiMetricId: string
  gnocchiResourceId: string
  memberProjectId: string
  networkId: string
  projectId: string
  roleId: string
  serverId: string
  stackId: string
  stackName: string
  userId: string
  volumeId: string
}

export const MISSING_ID = '00000000-0000-4000-8000-000000000000'

const nova = (v: string) => ({'OpenStack-API-Version': `compute ${v}`, 'X-OpenStack-Nova-API-Version': v})
const auth = (password: string) => ({
  auth: {
    identity: {methods: ['password'], password: {user: {domain: {name: 'Default'}, name: '{username}', password}}},
    scope: {project: {domain: {name: 'Default'}, name: '{projectName}'}},
  },
})
const instances = {'=': {type: 'instance'}}

export const CALLS: RecordedCall[] = [
  {as: 'none', method: 'GET', name: 'keystone-root', path: '/', service: 'keystone'},
  {as: 'none', method: 'GET', name: 'keystone-v3', path: '/v3', service: 'keystone'},
  {as: 'none', body: auth('{password}'), method: 'POST', name: 'keystone-token', path: '/v3/auth/tokens', service: 'keystone'},
  {as: 'none', body: auth('wrong-password'), method: 'POST', name: 'keystone-token-bad-password', path: '/v3/auth/tokens', service: 'keystone'},
  {as: 'none', method: 'GET', name: 'keystone-projects-unauthenticated', path: '/v3/projects', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-catalog', path: '/v3/auth/catalog', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-auth-projects', path: '/v3/auth/projects', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-projects', path: '/v3/projects', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-project', path: '/v3/projects/{projectId}', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-project-missing', path: `/v3/projects/${MISSING_ID}`, service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-users', path: '/v3/users', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-user', path: '/v3/users/{userId}', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-user-projects', path: '/v3/users/{userId}/projects', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-roles', path: '/v3/roles', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-role', path: '/v3/roles/{roleId}', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-domains', path: '/v3/domains', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-domain', path: '/v3/domains/{domainId}', service: 'keystone'},
  {as: 'admin', method: 'GET', name: 'keystone-role-assignments', path: '/v3/role_assignments?include_names=true&user.id={userId}', service: 'keystone'},

  {as: 'none', method: 'GET', name: 'nova-root', path: '/', service: 'nova'},
  {as: 'none', method: 'GET', name: 'nova-servers-unauthenticated', path: '/v2.1/servers', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-v2.1', path: '/v2.1', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-servers-detail-page', next: {key: 'servers_links', kind: 'body'}, path: '/v2.1/servers/detail?all_tenants=1&limit=2', service: 'nova'},
  {as: 'admin', headers: nova('2.93'), method: 'GET', name: 'nova-servers-detail-2.93-page', next: {key: 'servers_links', kind: 'body'}, path: '/v2.1/servers/detail?all_tenants=1&limit=2', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-servers-page', next: {key: 'servers_links', kind: 'body'}, path: '/v2.1/servers?all_tenants=1&limit=2', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-servers-all', path: '/v2.1/servers?all_tenants=1', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-servers-bad-marker', path: `/v2.1/servers/detail?all_tenants=1&marker=${MISSING_ID}`, service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-servers-bad-limit', path: '/v2.1/servers/detail?limit=abc', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-server', path: '/v2.1/servers/{serverId}', service: 'nova'},
  {as: 'admin', headers: nova('2.93'), method: 'GET', name: 'nova-server-2.93', path: '/v2.1/servers/{serverId}', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-server-missing', path: `/v2.1/servers/${MISSING_ID}`, service: 'nova'},
  {as: 'admin', headers: nova('3.0'), method: 'GET', name: 'nova-bad-microversion', path: '/v2.1/servers', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-flavors-detail', path: '/v2.1/flavors/detail', service: 'nova'},
  {as: 'admin', headers: nova('2.75'), method: 'GET', name: 'nova-flavors-detail-2.75', path: '/v2.1/flavors/detail', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-flavors-page', next: {key: 'flavors_links', kind: 'body'}, path: '/v2.1/flavors?limit=2', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-flavor', path: '/v2.1/flavors/{flavorId}', service: 'nova'},
  {as: 'admin', method: 'GET', name: 'nova-flavor-missing', path: '/v2.1/flavors/no-such-flavor', service: 'nova'},

  {as: 'admin', method: 'GET', name: 'heat-stacks-global-1', path: '/v1/{projectId}/stacks?global_tenant=1', service: 'heat'},
  {as: 'admin', method: 'GET', name: 'heat-stacks-global', path: '/v1/{projectId}/stacks?global_tenant=true', service: 'heat'},
  {as: 'member', method: 'GET', name: 'heat-stacks-page', next: {key: 'links', kind: 'body'}, path: '/v1/{memberProjectId}/stacks?limit=1', service: 'heat'},
  {as: 'member', method: 'GET', name: 'heat-stacks', path: '/v1/{memberProjectId}/stacks', service: 'heat'},
  {as: 'member', method: 'GET', name: 'heat-stack', path: '/v1/{memberProjectId}/stacks/{stackName}/{stackId}', service: 'heat'},
  {as: 'member', method: 'GET', name: 'heat-stack-by-name', path: '/v1/{memberProjectId}/stacks/{stackName}', service: 'heat'},
  {as: 'member', method: 'GET', name: 'heat-stack-resources', path: '/v1/{memberProjectId}/stacks/{stackName}/{stackId}/resources', service: 'heat'},
  {as: 'member', method: 'GET', name: 'heat-stack-outputs', path: '/v1/{memberProjectId}/stacks/{stackName}/{stackId}/outputs', service: 'heat'},
  {as: 'member', method: 'GET', name: 'heat-stack-missing', path: `/v1/{memberProjectId}/stacks/no-such-stack/${MISSING_ID}`, service: 'heat'},

  {as: 'admin', method: 'GET', name: 'cinder-volumes-detail', path: '/v3/{projectId}/volumes/detail?all_tenants=1', service: 'cinder'},
  {as: 'admin', headers: {'OpenStack-API-Version': 'volume 3.60'}, method: 'GET', name: 'cinder-volumes-detail-3.60', path: '/v3/{projectId}/volumes/detail?all_tenants=1', service: 'cinder'},
  {as: 'admin', method: 'GET', name: 'cinder-volume', path: '/v3/{projectId}/volumes/{volumeId}', service: 'cinder'},
  {as: 'admin', method: 'GET', name: 'cinder-volume-missing', path: `/v3/{projectId}/volumes/${MISSING_ID}`, service: 'cinder'},

  {as: 'none', method: 'GET', name: 'neutron-root', path: '/', service: 'neutron'},
  {as: 'admin', method: 'GET', name: 'neutron-networks', path: '/v2.0/networks', service: 'neutron'},
  {as: 'admin', method: 'GET', name: 'neutron-networks-page', next: {key: 'networks_links', kind: 'body'}, path: '/v2.0/networks?limit=1', service: 'neutron'},
  {as: 'admin', method: 'GET', name: 'neutron-network', path: '/v2.0/networks/{networkId}', service: 'neutron'},
  {as: 'admin', method: 'GET', name: 'neutron-network-missing', path: `/v2.0/networks/${MISSING_ID}`, service: 'neutron'},
  {as: 'admin', method: 'GET', name: 'neutron-subnets', path: '/v2.0/subnets', service: 'neutron'},

  {as: 'none', method: 'GET', name: 'glance-root', path: '/', service: 'glance'},
  {as: 'admin', method: 'GET', name: 'glance-images', path: '/v2/images', service: 'glance'},
  {as: 'admin', method: 'GET', name: 'glance-image-missing', path: `/v2/images/${MISSING_ID}`, service: 'glance'},

  {as: 'none', method: 'GET', name: 'gnocchi-root', path: '/', service: 'gnocchi'},
  {as: 'admin', body: instances, method: 'POST', name: 'gnocchi-search-instances', path: '/v1/search/resource/instance', service: 'gnocchi'},
  {as: 'admin', method: 'GET', name: 'gnocchi-resources-page', next: {kind: 'header'}, path: '/v1/resource/instance?limit=2', service: 'gnocchi'},
  {as: 'admin', method: 'GET', name: 'gnocchi-resource', path: '/v1/resource/instance/{gnocchiResourceId}', service: 'gnocchi'},
  {as: 'admin', method: 'GET', name: 'gnocchi-resource-missing', path: `/v1/resource/instance/${MISSING_ID}`, service: 'gnocchi'},
  {as: 'admin', method: 'GET', name: 'gnocchi-metric', path: '/v1/metric/{gnocchiMetricId}', service: 'gnocchi'},
  {as: 'admin', method: 'GET', name: 'gnocchi-measures', path: '/v1/metric/{gnocchiMetricId}/measures', service: 'gnocchi'},
  {as: 'admin', method: 'GET', name: 'gnocchi-resource-measures', path: '/v1/resource/instance/{gnocchiResourceId}/metric/memory.usage/measures', service: 'gnocchi'},
  {
    as: 'admin',
    body: {operations: '(aggregate mean (metric memory.usage mean))', resource_type: 'instance', search: instances},
    method: 'POST',
    name: 'gnocchi-aggregates-groupby',
    path: '/v1/aggregates?groupby=id&granularity=300',
    service: 'gnocchi',
  },
  {
    // rate:mean starts one period after mean: with fill=null its first point is a bare NaN.
    as: 'admin',
    body: {operations: '(metric (cpu rate:mean) (cpu mean))', resource_type: 'instance', search: instances},
    method: 'POST',
    name: 'gnocchi-aggregates-rate-nan',
    path: '/v1/aggregates?groupby=id&granularity=300&fill=null',
    service: 'gnocchi',
  },
  {
    as: 'admin',
    body: {operations: '(metric cpu mean)', resource_type: 'instance', search: {in: {id: [MISSING_ID]}}},
    method: 'POST',
    name: 'gnocchi-aggregates-empty-search',
    path: '/v1/aggregates?groupby=id&granularity=300',
    service: 'gnocchi',
  },
  {
    as: 'admin',
    // A deployment without the disk pollsters has no instance_disk type (the minicloud): a type nobody has stands for it.
    body: {operations: '(metric disk.device.read.bytes mean)', resource_type: 'cos_no_such_type', search: {in: {instance_id: [MISSING_ID]}}},
    method: 'POST',
    name: 'gnocchi-aggregates-missing-type',
    path: '/v1/aggregates?groupby=instance_id&granularity=300',
    service: 'gnocchi',
  },
]

/** Fill the placeholders of a path (or a JSON body) with one side's targets and credentials. */
export function resolve(text: string, targets: CallTargets & {password: string; projectName: string; username: string}): string {
  return text.replaceAll(/\{(\w+)\}/g, (whole, key: string) => {
    const v = (targets as unknown as Record<string, string | undefined>)[key]
    return v === undefined ? whole : v
  })
}

/** Headers worth comparing; volatile ones are recorded as `<present>`. */
export const HEADERS_OF_INTEREST = ['content-type', 'location', 'link', 'openstack-api-version', 'vary', 'www-authenticate', 'x-openstack-nova-api-version', 'x-subject-token']
export const VOLATILE_HEADERS = new Set(['x-subject-token'])

export interface RecordedAnswer {
  body: unknown
  headers: Record<string, string>
  /** The real body held bare `NaN`/`Infinity` (not JSON; Gnocchi writes numpy's NaN so): recorded as null. */
  nonFinite?: boolean
  status: number
}

/** Replace a cloud's service URLs by `{service}` and tokens by `<token>`; keep at most 3 items per array. */
export function normalise(value: unknown, bases: Record<string, string>): unknown {
  if (typeof value === 'string') {
    let s = value
    for (const [name, base] of Object.entries(bases)) s = s.split(base).join(`{${name}}`)
    return s.replace(/gAAAAA[\w-]+/g, '<token>').replace(/req-[0-9a-f-]{36}/g, '<request-id>')
  }
  if (Array.isArray(value)) return value.slice(0, 3).map((v) => normalise(v, bases))
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v, bases)]))
  return value
}
