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

export interface NovaClientOptions {
  /** `2.N`; default 2.73. */
  microversion?: string
  /** Items per page asked for (Nova caps it at its `max_limit`, default 1000). */
  pageSize?: number
}

export interface ServerListing {
  /** True when every record was complete: only then may a caller treat a missing server as gone. */
  complete: boolean
  pages: number
  /** Records of servers in a down cell: they exist, nothing more is known. */
  partial: NovaPartialServer[]
  servers: NovaServer[]
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
    const first: QueryParams = {all_tenants: '1', limit: this.pageSize, project_id: opts.projectId}
    const {items, pages} = await collectPages<NovaPartialServer | NovaServer>({system: 'nova', what: 'servers'}, first, async (params) => {
      const res = await this.get<{servers: (NovaPartialServer | NovaServer)[]; servers_links?: ApiLink[]}>('servers/detail', params)
      return {items: res.data.servers ?? [], next: nextLink(res.data.servers_links)}
    })
    const servers: NovaServer[] = []
    const partial: NovaPartialServer[] = []
    for (const s of items) {
      if (isCompleteServer(s)) servers.push(s)
      else partial.push(s)
    }
    return {complete: partial.length === 0, pages, partial, servers}
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
