/**
 * Neutron (network v2.0): networks and subnets. An admin token sees every project's. Lists are
 * paged with `limit`/`marker` and `*_links` (when the server has pagination on; otherwise it
 * answers everything at once without links).
 */
import type {KeystoneSession} from './keystone.js'
import {collectPages, nextLink} from './paging.js'
import {HttpError} from '../http/index.js'
import {requestIds} from './nova.js'
import type {ApiLink, NeutronNetwork, NeutronSubnet} from './types.js'

/** A Neutron port (the fields serve reads). */
export interface NeutronPort {
  device_id: string
  device_owner: string
  fixed_ips?: {ip_address: string; subnet_id: string}[]
  id: string
  network_id: string
  project_id?: string
}

/** A floating IP (the fields serve reads). */
export interface NeutronFloatingIp {
  floating_ip_address: string
  id: string
  port_id: null | string
  router_id: null | string
}

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

  // ---- writes and per-project reads (serve: with the caller's own token) ----

  /** The ports of a network that the token may see. */
  async listPorts(filter: {deviceId?: string; networkId?: string}): Promise<NeutronPort[]> {
    return this.list<NeutronPort>('ports', {}, {device_id: filter.deviceId, network_id: filter.networkId})
  }

  /**
   * Floating IPs associated with a port (`GET /floatingips?port_id=`). A Neutron without the L3
   * service plugin has no floating IPs at all: its 404 for the collection is an empty list.
   */
  async listFloatingIps(filter: {portId?: string; routerId?: string}): Promise<NeutronFloatingIp[]> {
    try {
      return await this.list<NeutronFloatingIp>('floatingips', {}, {port_id: filter.portId, router_id: filter.routerId})
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) return []
      throw error
    }
  }

  /** Dissociate a floating IP from its port (`PUT /floatingips/{id}` with `port_id: null`). */
  async disassociateFloatingIp(id: string): Promise<string[]> {
    const res = await this.session.request('network', {body: {floatingip: {port_id: null}}, method: 'PUT', url: `v2.0/floatingips/${encodeURIComponent(id)}`})
    return requestIds(res.headers)
  }

  /** Remove a router's interface on a port (`PUT /routers/{id}/remove_router_interface`). */
  async removeRouterInterface(routerId: string, portId: string): Promise<string[]> {
    const res = await this.session.request('network', {body: {port_id: portId}, method: 'PUT', url: `v2.0/routers/${encodeURIComponent(routerId)}/remove_router_interface`})
    return requestIds(res.headers)
  }

  /** Delete a port: false when Neutron had none (404). */
  async deletePort(id: string): Promise<boolean> {
    const res = await this.session.request('network', {accept: [404], method: 'DELETE', url: `v2.0/ports/${encodeURIComponent(id)}`})
    return res.status !== 404
  }

  /** Delete a network (204; 409 while ports other than DHCP's are on it). */
  async deleteNetwork(id: string): Promise<string[]> {
    const res = await this.session.request('network', {method: 'DELETE', url: `v2.0/networks/${encodeURIComponent(id)}`})
    return requestIds(res.headers)
  }

  /** A project's quotas (`GET /quotas/{id}`; another project's needs an admin token). */
  async quota(projectId: string): Promise<Record<string, unknown>> {
    const res = await this.session.request<{quota: Record<string, unknown>}>('network', {url: `v2.0/quotas/${encodeURIComponent(projectId)}`})
    return res.data.quota ?? {}
  }

  private async list<T>(collection: 'floatingips' | 'networks' | 'ports' | 'subnets', opts: NeutronListOptions, filters: Record<string, string | undefined> = {}): Promise<T[]> {
    const first = {...filters, limit: this.pageSize, project_id: opts.projectId}
    const {items} = await collectPages<T>({system: 'neutron', what: collection}, first, async (params) => {
      const res = await this.session.request<Record<string, ApiLink[] | T[] | undefined>>('network', {params, url: `v2.0/${collection}`})
      return {items: (res.data[collection] as T[] | undefined) ?? [], next: nextLink(res.data[`${collection}_links`] as ApiLink[] | undefined)}
    })
    return items
  }
}
