/**
 * CloudKitty's rated month-to-date, read in bulk: one `GET /v2/summary` grouped by resource id,
 * type and project over the whole period for every project, paged (not one call per device as the
 * original did, original-service.md §5.8). The rows become totals per resource and type and per
 * project.
 */
import type {BillingPeriod} from './period.js'

/** The summary columns we group by, in CloudKitty's names. */
export const RATING_GROUPBY = ['id', 'type', 'project_id'] as const

export interface Ratings {
  /** Resource id → CloudKitty type (`instance`, `vcpus`, `volume.size`, …) → rate summed over the period. */
  byResource: Map<string, Map<string, number>>
  /** Project id → every rate of the project summed (resources in no rack included). */
  byProject: Map<string, number>
  /** Summary pages read. */
  pages: number
  /** Rows read. */
  rows: number
}

export interface SummaryReader {
  summary(req: {begin: string; end: string; filters?: Record<string, string>; groupby: string[]}): Promise<{columns: string[]; pages: number; results: (null | number | string)[][]}>
}

/** The period's rows of every project (or of one, `projectId`), as totals. */
export async function readRatings(cloudkitty: SummaryReader, period: BillingPeriod, opts: {projectId?: string} = {}): Promise<Ratings> {
  const summary = await cloudkitty.summary({
    begin: new Date(period.startMs).toISOString(),
    end: new Date(period.endMs).toISOString(),
    filters: opts.projectId === undefined ? undefined : {project_id: opts.projectId},
    groupby: [...RATING_GROUPBY],
  })
  return {...ratingsFromTable(summary.columns, summary.results), pages: summary.pages}
}

/**
 * Totals from a table-format summary. Columns are found by name (CloudKitty sends none when there
 * are no rows); a row without an id or a type, or with a null rate (an empty period), adds nothing.
 */
export function ratingsFromTable(columns: readonly string[], rows: readonly (null | number | string)[][]): Omit<Ratings, 'pages'> {
  const byResource = new Map<string, Map<string, number>>()
  const byProject = new Map<string, number>()
  const out = {byProject, byResource, rows: rows.length}
  if (rows.length === 0) return out
  const col = (name: string): number => {
    const i = columns.indexOf(name)
    if (i === -1) throw new Error(`CloudKitty's summary has no '${name}' column (columns: ${columns.join(', ') || 'none'})`)
    return i
  }
  const [rate, id, type, project] = [col('rate'), col('id'), col('type'), col('project_id')]
  for (const row of rows) {
    const value = Number(row[rate] ?? 0)
    if (!Number.isFinite(value)) continue
    const p = row[project]
    if (typeof p === 'string' && p !== '') byProject.set(p, (byProject.get(p) ?? 0) + value)
    const r = row[id]
    const t = row[type]
    if (typeof r !== 'string' || r === '' || typeof t !== 'string' || t === '') continue
    let types = byResource.get(r)
    if (types === undefined) byResource.set(r, (types = new Map()))
    types.set(t, (types.get(t) ?? 0) + value)
  }
  return out
}
