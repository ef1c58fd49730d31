/**
 * Nova (compute v2.1): servers of every project and flavors, paged to the end.
 *
 * Every call asks for one compute microversion (default 2.73): from 2.47 a server's `flavor` is
 * the flavor's values inline (`original_name`, `vcpus`, `ram`…) instead of `{id, links}`; from
 * 2.69 servers of a cell that is down come back as partial records (status `UNKNOWN`, most keys
 * missing). A listing says whether it met such records so that callers refuse deletions.
 */
import {HttpError} from '../http/index.js'
import {MicroversionError} from './errors.js'
import type {KeystoneSession} from './keystone.js'
import {collectPages, nextLink, type QueryParams} from './paging.js'
import type {ApiLink, NovaEmbeddedFlavor, NovaFlavor, NovaFlavorRef, NovaPartialServer, NovaServer} from './types.js'

export const DEFAULT_COMPUTE_MICROVERSION = '2.73'
/** `os-hypervisors/statistics` is gone from 2.88: it is always asked at this version. */
const STATISTICS_MICROVERSION = '2.87'

export type NovaServerAction = 'os-start' | 'os-stop' | 'resume' | 'suspend'

/** A key pair as Nova shows it (`private_key` only in the answer that generated it). */
export interface NovaKeyPair {
  fingerprint: string
  name: string
  private_key?: string
  public_key: string
  type?: string
  user_id?: string
}

export interface NovaHypervisorStatistics {
  count: number
  local_gb: number
  local_gb_used: number
  memory_mb: number
  memory_mb_used: number
  running_vms: number
  vcpus: number
  vcpus_used: number
}

/** The request ids of an OpenStack answer (`x-openstack-request-id`, `x-compute-request-id`). */
export function requestIds(headers: Record<string, string>): string[] {
  const ids = [headers['x-openstack-request-id'], headers['x-compute-request-id']].filter((x): x is string => typeof x === 'string' && x !== '')
  return [...new Set(ids.flatMap((x) => x.split(',').map((s) => s.trim())))]
}

export interface NovaClientOptions {
  /** `2.N`; default 2.73. */
  microversion?: string
  /** Items per page asked for (Nova caps it at its `max_limit`, default 1000). */
  pageSize?: number
}

export interface ServerListing<S = NovaServer, P = NovaPartialServer> {
  /** True when every record was complete: only then may a caller treat a missing server as gone. */
  complete: boolean
  pages: number
  /** Records of servers in a down cell: they exist, nothing more is known. */
  partial: P[]
  servers: S[]
}

export interface ListServersOptions {
  /** Only this project's servers (still with `all_tenants`, as an admin must). */
  projectId?: string
}

/** Keys every complete server record has; a down-cell record lacks them. */
const REQUIRED_SERVER_KEYS = ['name', 'flavor', 'tenant_id', 'addresses', 'metadata'] as const

/** A complete record, as opposed to a down cell's partial one. */
export function isCompleteServer(server: NovaPartialServer | NovaServer): server is NovaServer {
  if (server.status === 'UNKNOWN') return false
  const record = server as unknown as Record<string, unknown>
  return REQUIRED_SERVER_KEYS.every((k) => record[k] !== undefined)
}

/** A server's flavor given inline (microversion ≥ 2.47) rather than as a reference. */
export function isEmbeddedFlavor(flavor: NovaEmbeddedFlavor | NovaFlavorRef): flavor is NovaEmbeddedFlavor {
  return 'original_name' in flavor
}

export class NovaClient {
  readonly microversion: string
  private readonly pageSize: number

  constructor(
    private readonly session: KeystoneSession,
    options: NovaClientOptions = {},
  ) {
    this.microversion = options.microversion ?? DEFAULT_COMPUTE_MICROVERSION
    this.pageSize = options.pageSize ?? 1000
  }

  /** One server, or null when Nova says 404. It may be partial (check `isCompleteServer`). */
  async getServer(id: string): Promise<NovaPartialServer | NovaServer | null> {
    const res = await this.get<{server: NovaPartialServer | NovaServer}>(`servers/${encodeURIComponent(id)}`, {}, [404])
    return res.status === 404 ? null : res.data.server
  }

  /** Every flavor, private ones included when the token is an admin's (`is_public=None`). */
  async listFlavors(): Promise<NovaFlavor[]> {
    const {items} = await collectPages<NovaFlavor>({system: 'nova', what: 'flavors'}, {is_public: 'None', limit: this.pageSize}, async (params) => {
      const res = await this.get<{flavors: NovaFlavor[]; flavors_links?: ApiLink[]}>('flavors/detail', params)
      return {items: res.data.flavors ?? [], next: nextLink(res.data.flavors_links)}
    })
    return items
  }

  /** Every server of every project (`all_tenants=1`), or of one project, every page. */
  async listServers(opts: ListServersOptions = {}): Promise<ServerListing> {
    return this.listServersAs((s) => s, (s) => s, opts)
  }

  /**
   * `listServers` with each page's records mapped as the page arrives: a caller that keeps only its
   * own model of the servers never holds the raw records of every page at once (10,000 detailed
   * servers are ~19 MB of JSON, several times that parsed).
   */
  async listServersAs<S, P>(toServer: (s: NovaServer) => S, toPartial: (s: NovaPartialServer) => P, opts: ListServersOptions = {}): Promise<ServerListing<S, P>> {
    const first: QueryParams = {all_tenants: '1', limit: this.pageSize, project_id: opts.projectId}
    const servers: S[] = []
    const partial: P[] = []
    const {pages} = await collectPages<never>({system: 'nova', what: 'servers'}, first, async (params) => {
      const res = await this.get<{servers: (NovaPartialServer | NovaServer)[]; servers_links?: ApiLink[]}>('servers/detail', params)
      for (const s of res.data.servers ?? []) {
        if (isCompleteServer(s)) servers.push(toServer(s))
        else partial.push(toPartial(s))
      }
      return {items: [], next: nextLink(res.data.servers_links)}
    })
    return {complete: partial.length === 0, pages, partial, servers}
  }

  // ---- writes and per-user reads (serve: with the caller's own token) ----

  /**
   * A server action (`os-start`, `os-stop`, `suspend`, `resume`): Nova answers 202 and does it
   * asynchronously; 409 when the server's state does not allow it. Returns the request id.
   */
  async serverAction(id: string, action: NovaServerAction): Promise<string[]> {
    const res = await this.send('POST', `servers/${encodeURIComponent(id)}/action`, {[action]: null})
    return requestIds(res.headers)
  }

  /** `DELETE /servers/{id}` (204): the server goes away asynchronously. */
  async deleteServer(id: string): Promise<string[]> {
    return requestIds((await this.send('DELETE', `servers/${encodeURIComponent(id)}`)).headers)
  }

  /** Detach a volume from a server (`DELETE /servers/{id}/os-volume_attachments/{volume}`, 202). */
  async detachVolume(serverId: string, volumeId: string): Promise<string[]> {
    return requestIds((await this.send('DELETE', `servers/${encodeURIComponent(serverId)}/os-volume_attachments/${encodeURIComponent(volumeId)}`)).headers)
  }

  /** The token's user's key pairs (every page). */
  async listKeyPairs(): Promise<NovaKeyPair[]> {
    const {items} = await collectPages<NovaKeyPair>({system: 'nova', what: 'key pairs'}, {}, async (params) => {
      const res = await this.get<{keypairs: {keypair: NovaKeyPair}[]; keypairs_links?: ApiLink[]}>('os-keypairs', params)
      return {items: (res.data.keypairs ?? []).map((k) => k.keypair), next: nextLink(res.data.keypairs_links)}
    })
    return items
  }

  /** One key pair of the token's user, or null. */
  async getKeyPair(name: string): Promise<NovaKeyPair | null> {
    const res = await this.get<{keypair: NovaKeyPair}>(`os-keypairs/${encodeURIComponent(name)}`, {}, [404])
    return res.status === 404 ? null : res.data.keypair
  }

  /**
   * Create a key pair for the token's user: imported when `publicKey` is given, else generated (the
   * private key is in the answer, once). 409 when the name is taken.
   */
  async createKeyPair(p: {name: string; publicKey?: null | string; type?: 'ssh' | 'x509'}): Promise<NovaKeyPair> {
    const keypair: Record<string, unknown> = {name: p.name}
    if (p.publicKey) keypair.public_key = p.publicKey
    if (p.type !== undefined) keypair.type = p.type
    const res = await this.send<{keypair: NovaKeyPair}>('POST', 'os-keypairs', {keypair})
    return res.data.keypair
  }

  /** Delete a key pair of the token's user: false when Nova had none of that name (404). */
  async deleteKeyPair(name: string): Promise<boolean> {
    const res = await this.send('DELETE', `os-keypairs/${encodeURIComponent(name)}`, undefined, [404])
    return res.status !== 404
  }

  /** The absolute limits of the token's project (`GET /limits`). */
  async absoluteLimits(): Promise<Record<string, number>> {
    const res = await this.get<{limits: {absolute: Record<string, number>}}>('limits', {})
    return res.data.limits?.absolute ?? {}
  }

  /** A project's quota set (`GET /os-quota-sets/{id}`; another project's needs an admin token). */
  async quotaSet(projectId: string): Promise<Record<string, unknown>> {
    const res = await this.get<{quota_set: Record<string, unknown>}>(`os-quota-sets/${encodeURIComponent(projectId)}`, {})
    return res.data.quota_set ?? {}
  }

  /** The hypervisors' totals (`GET /os-hypervisors/statistics`, admin; removed from microversion 2.88). */
  async hypervisorStatistics(): Promise<NovaHypervisorStatistics> {
    try {
      const res = await this.session.request<{hypervisor_statistics: NovaHypervisorStatistics}>('compute', {
        headers: {'OpenStack-API-Version': `compute ${STATISTICS_MICROVERSION}`, 'X-OpenStack-Nova-API-Version': STATISTICS_MICROVERSION},
        url: 'os-hypervisors/statistics',
      })
      return res.data.hypervisor_statistics
    } catch (error) {
      if (error instanceof HttpError && error.status === 406) throw new MicroversionError('nova', STATISTICS_MICROVERSION, error.serverMessage)
      throw error
    }
  }

  private async send<T = unknown>(method: 'DELETE' | 'POST', url: string, body?: unknown, accept?: number[]) {
    try {
      return await this.session.request<T>('compute', {
        accept,
        body,
        headers: {'OpenStack-API-Version': `compute ${this.microversion}`, 'X-OpenStack-Nova-API-Version': this.microversion},
        method,
        url,
      })
    } catch (error) {
      if (error instanceof HttpError && error.status === 406) throw new MicroversionError('nova', this.microversion, error.serverMessage)
      throw error
    }
  }

  private async get<T>(url: string, params: QueryParams, accept?: number[]) {
    try {
      return await this.session.request<T>('compute', {
        accept,
        headers: {'OpenStack-API-Version': `compute ${this.microversion}`, 'X-OpenStack-Nova-API-Version': this.microversion},
        params,
        url,
      })
    } catch (error) {
      if (error instanceof HttpError && error.status === 406) throw new MicroversionError('nova', this.microversion, error.serverMessage)
      throw error
    }
  }
}
