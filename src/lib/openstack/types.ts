/**
 * Shapes of the OpenStack API responses we read: only the fields we use plus what the reference
 * fixtures (`fixtures/api/`) show. Ids are strings everywhere. Anything a server may omit is optional.
 */

/** A `{href, rel}` link as every OpenStack API renders it. */
/** A time for a query parameter: a Date (sent as ISO 8601 UTC) or a string sent as is. */
export type Timestamp = Date | string

/** A timestamp as the APIs take it (ISO 8601). */
export function isoTime(t: Timestamp | undefined): string | undefined {
  return t instanceof Date ? t.toISOString() : t
}

export interface ApiLink {
  href: string
  rel: string
}

// ---------------------------------------------------------------------------------------------
// Keystone (identity v3)

export type EndpointInterface = 'admin' | 'internal' | 'public'

export interface CatalogEndpoint {
  id: string
  interface: EndpointInterface | string
  region?: null | string
  region_id?: null | string
  url: string
}

export interface CatalogService {
  endpoints: CatalogEndpoint[]
  id: string
  name?: string
  type: string
}

export interface KeystoneDomainRef {
  id: string
  name?: string
}

export interface KeystoneRoleRef {
  id: string
  name: string
}

/** The body of `POST /v3/auth/tokens` (key `token`). */
export interface KeystoneTokenBody {
  audit_ids?: string[]
  catalog?: CatalogService[]
  expires_at: string
  is_domain?: boolean
  issued_at?: string
  methods: string[]
  project?: {domain: KeystoneDomainRef; id: string; name: string}
  roles?: KeystoneRoleRef[]
  user: {domain: KeystoneDomainRef; id: string; name: string; password_expires_at?: null | string}
}

export interface KeystoneRole {
  description?: null | string
  domain_id?: null | string
  id: string
  links?: {self: string}
  name: string
}

export interface KeystoneUser {
  default_project_id?: string
  description?: null | string
  domain_id: string
  email?: null | string
  enabled: boolean
  id: string
  links?: {self: string}
  name: string
  password_expires_at?: null | string
}

export interface KeystoneProject {
  description?: null | string
  domain_id: string
  enabled: boolean
  id: string
  is_domain?: boolean
  links?: {self: string}
  name: string
  parent_id?: null | string
  tags?: string[]
}

/** One item of `GET /v3/role_assignments` (a project-scoped user assignment; group and domain ones are not used). */
export interface KeystoneRoleAssignment {
  role: {id: string; name?: string}
  scope?: {domain?: {id: string}; project?: {id: string; name?: string}; system?: unknown}
  user?: {id: string; name?: string}
}

/** What `POST /v3/users` is given. */
export interface NewKeystoneUser {
  default_project_id?: string
  description?: string
  domain_id: string
  email?: string
  enabled?: boolean
  name: string
  /** A secret: registered for redaction before it is sent. */
  password?: string
}

/** What `POST /v3/projects` is given. */
export interface NewKeystoneProject {
  description?: string
  domain_id: string
  enabled?: boolean
  name: string
}

/** Keystone collections: `links.next` is null when there is nothing more; `truncated` when `list_limit` cut it. */
export interface KeystoneCollectionLinks {
  next?: null | string
  previous?: null | string
  self?: string
}

// ---------------------------------------------------------------------------------------------
// Nova (compute v2.1)

/** `flavor` of a server before microversion 2.47: a reference. */
export interface NovaFlavorRef {
  id: string
  links?: ApiLink[]
}

/** `flavor` of a server from microversion 2.47: the flavor's values inline, without an id. */
export interface NovaEmbeddedFlavor {
  disk: number
  ephemeral: number
  extra_specs?: Record<string, string>
  original_name: string
  ram: number
  swap: number
  vcpus: number
}

export interface NovaAddress {
  addr: string
  'OS-EXT-IPS-MAC:mac_addr'?: string
  'OS-EXT-IPS:type'?: 'fixed' | 'floating' | string
  version: 4 | 6
}

export interface NovaServer {
  accessIPv4?: string
  accessIPv6?: string
  addresses: Record<string, NovaAddress[]>
  config_drive?: string
  created: string
  description?: null | string
  flavor: NovaEmbeddedFlavor | NovaFlavorRef
  hostId?: string
  id: string
  /** `""` when booted from a volume. */
  image: '' | {id: string; links?: ApiLink[]; properties?: Record<string, string>}
  key_name: null | string
  links?: ApiLink[]
  locked?: boolean
  locked_reason?: null | string
  metadata: Record<string, string>
  name: string
  'OS-EXT-AZ:availability_zone'?: string
  'OS-EXT-SRV-ATTR:host'?: null | string
  'OS-EXT-SRV-ATTR:hostname'?: string
  'OS-EXT-SRV-ATTR:hypervisor_hostname'?: null | string
  'OS-EXT-SRV-ATTR:instance_name'?: string
  'OS-EXT-STS:power_state'?: number
  'OS-EXT-STS:task_state'?: null | string
  'OS-EXT-STS:vm_state'?: string
  'os-extended-volumes:volumes_attached'?: {delete_on_termination?: boolean; id: string}[]
  'OS-SRV-USG:launched_at'?: null | string
  'OS-SRV-USG:terminated_at'?: null | string
  pinned_availability_zone?: null | string
  progress?: number
  security_groups?: {name: string}[]
  status: string
  tags?: string[]
  tenant_id: string
  updated: string
  user_id: string
}

/**
 * A server of a cell that is down (microversion ≥ 2.69): status `UNKNOWN` and most keys missing.
 * It proves the server exists, and nothing else.
 */
export interface NovaPartialServer {
  created?: string
  id: string
  links?: ApiLink[]
  status: string
  tenant_id?: string
}

export interface NovaFlavor {
  description?: null | string
  disk: number
  extra_specs?: Record<string, string>
  id: string
  links?: ApiLink[]
  name: string
  'OS-FLV-DISABLED:disabled'?: boolean
  'OS-FLV-EXT-DATA:ephemeral'?: number
  'os-flavor-access:is_public'?: boolean
  ram: number
  rxtx_factor?: number
  /** `""` when the flavor has no swap (older microversions). */
  swap: '' | number
  vcpus: number
}

// ---------------------------------------------------------------------------------------------
// Heat (orchestration v1)

export interface HeatStack {
  creation_time: string
  deletion_time?: null | string
  description?: null | string
  id: string
  links?: ApiLink[]
  parent?: null | string
  /** Present for admin contexts only (and with `global_tenant`). */
  project?: string
  stack_name: string
  stack_owner?: null | string
  stack_status: string
  stack_status_reason?: null | string
  stack_user_project_id?: null | string
  tags?: null | string[]
  updated_time?: null | string
}

export interface HeatStackDetail extends HeatStack {
  capabilities?: unknown[]
  disable_rollback?: boolean
  notification_topics?: unknown[]
  outputs?: HeatOutput[]
  /** Includes `OS::project_id`, `OS::stack_id`, `OS::stack_name`. */
  parameters: Record<string, string>
  template_description?: string
  timeout_mins?: null | number
}

/** Heat resource types this tool cares about; any other string may come back. */
export type HeatResourceType =
  | 'OS::Cinder::Volume'
  | 'OS::Cinder::VolumeAttachment'
  | 'OS::Heat::ResourceGroup'
  | 'OS::Neutron::Net'
  | 'OS::Neutron::Port'
  | 'OS::Neutron::Subnet'
  | 'OS::Nova::Server'
  | 'OS::Nova::ServerGroup'
  | (string & {})

export interface HeatResource {
  creation_time?: string
  links?: ApiLink[]
  logical_resource_id: string
  /** The name of the parent resource when listed with `nested_depth` (a ResourceGroup member's group). */
  parent_resource?: string
  /** The id in the owning service (a server id, a volume id, a nested stack id); `""` before creation. */
  physical_resource_id: string
  required_by?: string[]
  resource_name: string
  resource_status: string
  resource_status_reason?: string
  resource_type: HeatResourceType
  /** Name of the stack that holds it (with `nested_depth`, a nested stack's name). */
  stack_name?: string
  updated_time?: string
}

export interface HeatOutput {
  description?: null | string
  output_error?: string
  output_key: string
  output_value?: unknown
}

/** Heat addresses a stack by name and id: both are in every stack the list returns. */
export type HeatStackRef = Pick<HeatStack, 'id' | 'stack_name'>

// ---------------------------------------------------------------------------------------------
// Cinder (block-storage v3)

export interface CinderAttachment {
  attached_at?: string
  attachment_id?: string
  device?: string
  host_name?: null | string
  id?: string
  server_id: string
  volume_id?: string
}

export interface CinderVolume {
  attachments: CinderAttachment[]
  availability_zone: string
  /** A string: `"true"` / `"false"`. */
  bootable: string
  created_at: string
  description: null | string
  encrypted: boolean
  id: string
  links?: ApiLink[]
  metadata: Record<string, string>
  multiattach?: boolean
  name: null | string
  'os-vol-host-attr:host'?: null | string
  'os-vol-tenant-attr:tenant_id'?: string
  size: number
  status: string
  updated_at: null | string
  user_id: string
  volume_type: null | string
  volume_type_id?: string
}

// ---------------------------------------------------------------------------------------------
// Neutron (network v2.0)

export interface NeutronNetwork {
  admin_state_up: boolean
  availability_zones?: string[]
  created_at?: string
  description?: string
  id: string
  is_default?: boolean
  l2_adjacency?: boolean
  mtu?: number
  name: string
  port_security_enabled?: boolean
  project_id: string
  'provider:network_type'?: string
  'provider:physical_network'?: null | string
  'provider:segmentation_id'?: null | number
  revision_number?: number
  'router:external'?: boolean
  shared: boolean
  status: string
  subnets: string[]
  tags?: string[]
  tenant_id?: string
  updated_at?: string
}

export interface NeutronSubnet {
  allocation_pools?: {end: string; start: string}[]
  cidr: string
  created_at?: string
  description?: string
  dns_nameservers?: string[]
  enable_dhcp?: boolean
  gateway_ip: null | string
  id: string
  ip_version: 4 | 6
  name: string
  network_id: string
  project_id: string
  revision_number?: number
  tenant_id?: string
  updated_at?: string
}

// ---------------------------------------------------------------------------------------------
// Gnocchi (metric v1)

/** One point: `[timestamp, granularity (s), value]`. */
export type GnocchiMeasure = [timestamp: string, granularity: number, value: number]

/** A Gnocchi search query, e.g. `{"=": {"id": "…"}}`, `{"in": {"id": [...]}}`, `{"and": [...]}`. */
export type GnocchiQuery = {[operator: string]: GnocchiQuery | GnocchiQuery[] | Record<string, unknown>}

export interface GnocchiResource {
  created_by_project_id?: string
  created_by_user_id?: string
  creator?: string
  ended_at?: null | string
  id: string
  /** Metric name → metric id. */
  metrics: Record<string, string>
  original_resource_id?: string
  project_id: null | string
  revision_end?: null | string
  revision_start?: string
  started_at?: string
  type: string
  user_id: null | string
  /** Resource-type attributes (`instance_id`, `flavor_id`, `display_name`, `name`…). */
  [attribute: string]: unknown
}

/** `operations` of `/v1/aggregates`: a string (`"(metric cpu rate:mean)"`) or the nested-list form. */
export type GnocchiOperations = string | unknown[]

/** Measures of a resource search: resource id → metric name → aggregation → points. */
export type GnocchiResourceMeasures = Record<string, Record<string, Record<string, GnocchiMeasure[]>>>

/** Measures of an `aggregate` operation. */
export interface GnocchiAggregatedMeasures {
  aggregated: GnocchiMeasure[]
}

export interface GnocchiAggregatesResult {
  measures: GnocchiAggregatedMeasures | GnocchiResourceMeasures
  references?: GnocchiResource[] | unknown[]
}

/** One group of a `groupby` aggregates response. */
export interface GnocchiAggregatesGroup extends GnocchiAggregatesResult {
  group: Record<string, null | string>
}

// ---------------------------------------------------------------------------------------------
// CloudKitty (rating v2)

/** A `GET /v2/summary` answer in its default `table` format. */
export interface CloudKittySummary {
  columns: string[]
  results: (null | number | string)[][]
  total: number
}
