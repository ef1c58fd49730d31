/**
 * Cinder (block-storage v3): volumes of every project, paged to the end by `volumes_links`.
 * The endpoint carries the project id (`/v3/{project_id}`), substituted by the catalog.
 */
import type {KeystoneSession} from './keystone.js'
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
