/**
 * `GET /api/v1/data-source-maps` (reference/concertim-api.md §5.7): root only; the MRD's host lookup
 * as `{grid: {cluster: {host: device_id}}}`.
 */
import {forbidden, ok} from './responses.js'
import {apiRoute, type ApiContext} from './routing.js'

export function dataSourceMapRoutes(ctx: ApiContext): void {
  apiRoute(ctx, 'GET', '/api/v1/data-source-maps', (_r, user) => {
    if (!user.root) return forbidden()
    const out: Record<string, Record<string, Record<string, string>>> = {}
    for (const dsm of ctx.state.dataSourceMaps.values()) {
      const grid = (out[dsm.map_to_grid] ??= {})
      const cluster = (grid[dsm.map_to_cluster] ??= {})
      cluster[dsm.map_to_host] = dsm.device_id
    }
    return ok(out)
  })
}
