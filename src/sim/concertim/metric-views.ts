/**
 * The app's metric endpoints, which proxy the MRD (reference/concertim-api.md §5.8): the structure of
 * volatile metrics and a device's history. The simulated app reads the MRD's store directly; where
 * the MRD would fail (before its first processing run) the app answers 502 as it does.
 */
import {HISTORIC_DURATIONS} from './metric-store.js'
import {forbidden, ok} from './responses.js'
import {apiRoute, type ApiContext} from './routing.js'

export function metricViewRoutes(ctx: ApiContext): void {
  const {state} = ctx
  apiRoute(ctx, 'GET', '/api/v1/metrics/structure', () => {
    const runAt = state.metrics.lastRunAt()
    if (runAt === undefined) {
      return {body: {errors: 'Unable to fetch unique metrics: the server responded with status 503', success: false}, status: 502}
    }
    const byName = new Map<string, {max: null | number; min: null | number; units: string}>()
    for (const m of state.metrics.current(runAt)) {
      if (m.type === 'string' || m.slope === 'zero') continue
      const entry = byName.get(m.name) ?? {max: null, min: null, units: m.units}
      const v = typeof m.value === 'number' ? m.value : null
      if (v !== null) {
        entry.min = entry.min === null ? v : Math.min(entry.min, v)
        entry.max = entry.max === null ? v : Math.max(entry.max, v)
      }
      byName.set(m.name, entry)
    }
    return ok(
      [...byName.entries()]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, e]) => ({format: e.units === '' ? '%s' : `%s ${e.units}`, id: name, max: e.max, min: e.min, name, units: e.units})),
    )
  })

  apiRoute(ctx, 'GET', '/api/v1/devices/:device_id/metrics/:id', (r, user) => {
    const device = state.devices.get(r.params.device_id)
    if (!device) return {body: {errors: 'Device not found', success: false}, status: 404}
    if (!ctx.abilities.canReadDevice(user, device)) return forbidden()
    const timeframe = r.query.get('timeframe') ?? 'hour'
    const nowSec = Math.floor(state.now() / 1000)
    let start: number
    let end = nowSec
    let resolution: number
    if (timeframe === 'range') {
      const from = Date.parse(`${r.query.get('start_date') ?? ''}T00:00:00Z`)
      const to = Date.parse(`${r.query.get('end_date') ?? ''}T00:00:00Z`)
      if (Number.isNaN(from) || Number.isNaN(to)) return {body: {errors: 'Invalid date range', success: false}, status: 502}
      start = from / 1000
      end = to / 1000 + 86_399
      const length = end - start
      resolution = length <= 3600 ? 15 : length <= 86_400 ? 300 : 3600
    } else {
      const d = HISTORIC_DURATIONS[timeframe] ?? HISTORIC_DURATIONS.hour
      start = nowSec - d.length
      resolution = d.resolution
    }
    const points = state.metrics.historic(device.id, r.params.id, start, end, resolution)
    if (!points || points.every((p) => p.value === null)) return ok([])
    return ok(points.map((p) => ({timestamp: new Date(p.timestamp * 1000).toISOString(), value: p.value})))
  })
}
