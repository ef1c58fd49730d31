/**
 * Neutron (network v2.0): networks and subnets. An admin token sees every project's. Lists are
 * paged with `limit`/`marker` and `*_links` (when the server has pagination on; otherwise it
 * answers everything at once without links).
 */
import type {KeystoneSession} from './keystone.js'
import {collectPages, nextLink} from './paging.js'
import type {ApiLink, NeutronNetwork, NeutronSubnet} from './types.js'

export interface NeutronClientOptions {
  /** Items per page asked for. */
  pageSize?: number
}

export interface NeutronListOptions {
  /** Only this project's. */
  projectId?: string
}

export class NeutronClient {
  private readonly pageSize: number

  constructor(
    private readonly session: KeystoneSession,
    options: NeutronClientOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000
  }

  /** One network, or null when Neutron says 404. */
  async getNetwork(id: string): Promise<NeutronNetwork | null> {
    const res = await this.session.request<{network: NeutronNetwork}>('network', {accept: [404], url: `v2.0/networks/${encodeURIComponent(id)}`})
    return res.status === 404 ? null : res.data.network
  }

  /** Every network, every page. */
  async listNetworks(opts: NeutronListOptions = {}): Promise<NeutronNetwork[]> {
    return this.list<NeutronNetwork>('networks', opts)
  }

  /** Every subnet, every page. */
  async listSubnets(opts: NeutronListOptions & {networkId?: string} = {}): Promise<NeutronSubnet[]> {
    return this.list<NeutronSubnet>('subnets', opts, {network_id: opts.networkId})
  }

  private async list<T>(collection: 'networks' | 'subnets', opts: NeutronListOptions, filters: Record<string, string | undefined> = {}): Promise<T[]> {
    const first = {...filters, limit: this.pageSize, project_id: opts.projectId}
    const {items} = await collectPages<T>({system: 'neutron', what: collection}, first, async (params) => {
      const res = await this.session.request<Record<string, ApiLink[] | T[] | undefined>>('network', {params, url: `v2.0/${collection}`})
      return {items: (res.data[collection] as T[] | undefined) ?? [], next: nextLink(res.data[`${collection}_links`] as ApiLink[] | undefined)}
    })
    return items
  }
}
