/**
 * Cinder (block-storage v3): volumes of every project, paged to the end by `volumes_links`.
 * The endpoint carries the project id (`/v3/{project_id}`), substituted by the catalog.
 */
import type {KeystoneSession} from './keystone.js'
import {requestIds} from './nova.js'
import {collectPages, nextLink} from './paging.js'
import type {ApiLink, CinderVolume} from './types.js'

export interface CinderClientOptions {
  /** Volumes per page asked for (Cinder caps it at `osapi_max_limit`, default 1000). */
  pageSize?: number
}

export class CinderClient {
  private readonly pageSize: number

  constructor(
    private readonly session: KeystoneSession,
    options: CinderClientOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000
  }

  /** One volume, or null when Cinder says 404. */
  async getVolume(id: string): Promise<CinderVolume | null> {
    const res = await this.session.request<{volume: CinderVolume}>('block-storage', {accept: [404], url: `volumes/${encodeURIComponent(id)}`})
    return res.status === 404 ? null : res.data.volume
  }

  /**
   * Delete a volume (202; it goes away asynchronously). `force` uses `os-force_delete`, which
   * Cinder's default policy allows admins only; the plain delete is the owner's and refuses an
   * attached volume (400). Returns the request ids.
   */
  async deleteVolume(id: string, opts: {force?: boolean} = {}): Promise<string[]> {
    const res = opts.force
      ? await this.session.request('block-storage', {body: {'os-force_delete': {}}, method: 'POST', url: `volumes/${encodeURIComponent(id)}/action`})
      : await this.session.request('block-storage', {method: 'DELETE', url: `volumes/${encodeURIComponent(id)}`})
    return requestIds(res.headers)
  }

  /** The absolute limits of the token's project (`GET /limits`). */
  async absoluteLimits(): Promise<Record<string, number>> {
    const res = await this.session.request<{limits: {absolute: Record<string, number>}}>('block-storage', {url: 'limits'})
    return res.data.limits?.absolute ?? {}
  }

  /** A project's quota set (`GET /os-quota-sets/{id}`; another project's needs an admin token). */
  async quotaSet(projectId: string): Promise<Record<string, unknown>> {
    const res = await this.session.request<{quota_set: Record<string, unknown>}>('block-storage', {url: `os-quota-sets/${encodeURIComponent(projectId)}`})
    return res.data.quota_set ?? {}
  }

  /** Every volume of every project (`all_tenants=1`), or of one project, every page. */
  async listVolumes(opts: {projectId?: string} = {}): Promise<CinderVolume[]> {
    const first = {all_tenants: '1', limit: this.pageSize, project_id: opts.projectId}
    const {items} = await collectPages<CinderVolume>({system: 'cinder', what: 'volumes'}, first, async (params) => {
      const res = await this.session.request<{volumes: CinderVolume[]; volumes_links?: ApiLink[]}>('block-storage', {params, url: 'volumes/detail'})
      return {items: res.data.volumes ?? [], next: nextLink(res.data.volumes_links)}
    })
    return items
  }
}
