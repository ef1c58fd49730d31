/**
 * What a Heat stack owns: its resources (nested stacks included, server groups resolved) and
 * outputs, read only when the stack tree changed since the stack cache last saw it (its key is the
 * update time and status of the stack and of each nested stack; a tree *_IN_PROGRESS is always read
 * again), and a nested stack resolved to its top-level stack.
 */
import {type ObservationProblem, problemOf} from '../../model/problem.js'
import type {Stack, StackMembership} from '../../model/cloud.js'
import type {HeatResource, HeatStack, HeatStackDetail} from '../../openstack/types.js'
import {isInProgress, ownVersion, type TreeVersion} from '../stack-tree.js'
import {toStackOutputs} from '../../openstack/to-model.js'
import type {ObserveClients, ObserveOptions, StackCacheEntry} from './types.js'
import {isUnreadable, message} from './reads.js'

/** How deep nested stacks (resource groups, provider templates) are listed with a stack's resources. */
export const NESTED_DEPTH = 3

/**
 * What a stack owns, from its resources listed with `nested_depth` (resource group members come as
 * resources of the nested stacks): servers, volumes and networks; server groups are resolved into
 * their members by `groupMembers`. A resource without a physical id (not created yet) is skipped.
 */
export function membershipOf(resources: readonly HeatResource[], groupMembers: ReadonlyMap<string, readonly string[]> = new Map()): StackMembership {
  const servers = new Set<string>()
  const volumes = new Set<string>()
  const networks = new Set<string>()
  for (const r of resources) {
    const id = r.physical_resource_id
    if (id === undefined || id === null || id === '') continue
    switch (r.resource_type) {
      case 'OS::Nova::Server': {
        servers.add(id)
        break
      }
      case 'OS::Nova::ServerGroup': {
        for (const m of groupMembers.get(id) ?? []) servers.add(m)
        break
      }
      case 'OS::Cinder::Volume': {
        volumes.add(id)
        break
      }
      case 'OS::Neutron::Net':
      case 'OS::Neutron::ProviderNet': {
        networks.add(id)
        break
      }
      default:
    }
  }
  return {networks: [...networks].sort(), servers: [...servers].sort(), volumes: [...volumes].sort()}
}

/** A stack's own version (see `treeVersions` for a top-level stack with nested ones). */
export function stackVersion(s: Pick<HeatStack, 'creation_time' | 'stack_status' | 'updated_time'>): string {
  return ownVersion(s)
}

export type StackRead =
  /** Read now (`fresh`) or reused from the cache. */
  | {entry: StackCacheEntry; fresh: boolean; outcome: 'ok'}
  /** Heat says 404: the stack went away while being read. */
  | {outcome: 'gone'}
  /** It could not be read: nothing of it is known (and nothing is deleted this run). */
  | {outcome: 'failed'}

export class HeatReader {
  read = 0

  private cache: ReadonlyMap<string, StackCacheEntry> = new Map()

  constructor(
    private readonly clients: ObserveClients,
    private readonly loader: ObserveOptions['loadStackCache'],
    private readonly problems: ObservationProblem[],
  ) {}

  /** Load the cache entries of these stacks (once per observation). */
  async prepare(stackIds: readonly string[]): Promise<void> {
    if (this.loader === undefined || stackIds.length === 0) return
    try {
      this.cache = await this.loader(stackIds)
    } catch (error) {
      this.clients.logger?.warn(`the stack cache could not be read (${message(error)}): every stack is read again`)
    }
  }

  /** The cache entry of a stack as loaded by `prepare`. */
  cached(stackId: string): StackCacheEntry | undefined {
    return this.cache.get(stackId)
  }

  /**
   * Resources and outputs of a stack, from the cache when its tree did not change (`tree`: its
   * version with its nested stacks' folded in, from a listing with them) and is not in progress.
   */
  async membership(stack: HeatStack, opts: {fresh?: boolean; tree?: TreeVersion} = {}): Promise<StackRead> {
    const version = opts.tree?.version ?? stackVersion(stack)
    const settled = !isInProgress(stack.stack_status) && opts.tree?.inProgress !== true
    const cached = this.cache.get(stack.id)
    if (opts.fresh !== true && settled && cached !== undefined && cached.version === version) {
      // Name, status and reason as the listing gives them now (entries of older versions lack them).
      return {entry: {...cached, name: stack.stack_name, status: stack.stack_status, statusReason: stack.stack_status_reason ?? null}, fresh: false, outcome: 'ok'}
    }
    const heat = this.clients.openstack.heat
    this.read++
    try {
      const ref = {id: stack.id, stack_name: stack.stack_name}
      const [detail, resources] = await Promise.all([heat.getStack(ref), heat.listResources(ref, {nestedDepth: NESTED_DEPTH})])
      if (detail === null || resources === null) {
        this.clients.logger?.debug({stack: stack.id}, 'stack vanished while being read')
        return {outcome: 'gone'}
      }
      const groups = resources.filter((r) => r.resource_type === 'OS::Nova::ServerGroup' && r.physical_resource_id !== '')
      const members = new Map<string, readonly string[]>()
      await Promise.all(
        groups.map(async (g) => {
          const res = await this.clients.openstack.keystone.request<{server_group: {members?: string[]}}>('compute', {accept: [404], url: `os-server-groups/${encodeURIComponent(g.physical_resource_id)}`})
          members.set(g.physical_resource_id, res.status === 404 ? [] : (res.data.server_group.members ?? []))
        }),
      )
      const projectId = stack.project ?? detail.parameters?.['OS::project_id'] ?? ''
      return {
        entry: {
          name: detail.stack_name,
          outputs: toStackOutputs(detail),
          owner: detail.stack_owner ?? stack.stack_owner ?? null,
          projectId,
          resources: membershipOf(resources, members),
          status: detail.stack_status,
          statusReason: detail.stack_status_reason ?? null,
          version,
        },
        fresh: true,
        outcome: 'ok',
      }
    } catch (error) {
      if (isUnreadable(error)) throw error
      this.problems.push(problemOf('stack', error, `stack ${stack.id} (${stack.stack_name}) could not be read: ${message(error)}; no rack or device is deleted this run`, stack.id))
      return {outcome: 'failed'}
    }
  }
}

export function toStack(s: HeatStack, entry: StackCacheEntry, tree?: TreeVersion): Stack {
  const inProgress = isInProgress(s.stack_status) || tree?.inProgress === true
  return {
    id: s.id,
    ...(inProgress ? {inProgress} : {}),
    name: s.stack_name,
    outputs: entry.outputs,
    owner: entry.owner ?? s.stack_owner ?? null,
    projectId: s.project ?? entry.projectId,
    resources: entry.resources,
    resourcesComplete: true,
    status: s.stack_status,
    statusReason: s.stack_status_reason ?? null,
  }
}

/** A stack by id alone (Heat redirects `/stacks/{id}` to `/stacks/{name}/{id}`), or null on 404. */
export async function stackById(os: ObserveClients['openstack'], id: string): Promise<HeatStackDetail | null> {
  const res = await os.keystone.request<{stack: HeatStackDetail}>('orchestration', {accept: [404], url: `stacks/${encodeURIComponent(id)}`})
  if (res.status === 404) return null
  const s = res.data.stack
  return s.stack_status === 'DELETE_COMPLETE' ? null : s
}

/** How many parents up a nested stack is followed (Heat's own `max_nested_stack_depth` default is 5). */
export const MAX_NESTING = 10

/**
 * The top-level stack of a stack (itself when it has no `parent`), by following `parent` up with
 * GETs, as a controller maps a child object to its owner. Null when the stack, or a stack above it,
 * is gone (404 or DELETE_COMPLETE).
 */
export async function topLevelStack(os: ObserveClients['openstack'], id: string): Promise<HeatStackDetail | null> {
  let s = await stackById(os, id)
  for (let depth = 0; s !== null && s.parent !== undefined && s.parent !== null && s.parent !== '' && depth < MAX_NESTING; depth++) s = await stackById(os, s.parent)
  return s
}

/** Whether a stack's resources include a server, volume or network. */
export function ownsEntity(m: StackMembership, id: string): boolean {
  return m.servers.includes(id) || m.volumes.includes(id) || m.networks.includes(id)
}

/** Whether a value is a JSON object (for reading stored cache entries). */
export function isStackCacheEntry(v: unknown): v is StackCacheEntry {
  if (typeof v !== 'object' || v === null) return false
  const e = v as Record<string, unknown>
  const r = e.resources as Record<string, unknown> | undefined
  return typeof e.version === 'string' && Array.isArray(e.outputs) && typeof r === 'object' && r !== null && Array.isArray(r.servers) && Array.isArray(r.volumes) && Array.isArray(r.networks)
}
