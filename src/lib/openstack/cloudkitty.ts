/**
 * CloudKitty (rating v2): `GET /v2/summary`, paged with `limit`/`offset` until `total` rows are read.
 */
import type {KeystoneSession} from './keystone.js'
import type {CloudKittySummary, Timestamp} from './types.js'
import {isoTime} from './types.js'

export interface CloudKittyClientOptions {
  /** Rows per page asked for. */
  pageSize?: number
}

export interface SummaryRequest {
  begin?: Timestamp
  end?: Timestamp
  /** Field → value, sent as `filters=field:value` (e.g. `{project_id: '…'}`). */
  filters?: Record<string, string>
  /** Columns to group by, e.g. `['project_id', 'type']`. */
  groupby?: string[]
}

/** A summary read to the end; `pages` for diagnostics. */
export interface SummaryResult extends CloudKittySummary {
  pages: number
}

export class CloudKittyClient {
  private readonly pageSize: number

  constructor(
    private readonly session: KeystoneSession,
    options: CloudKittyClientOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000
  }

  /** The rating summary; every page, rows in the server's order. */
  async summary(req: SummaryRequest = {}): Promise<SummaryResult> {
    const filters = Object.entries(req.filters ?? {}).map(([k, v]) => `${k}:${v}`)
    const results: CloudKittySummary['results'] = []
    let columns: string[] = []
    let total = 0
    let pages = 0
    for (;;) {
      const res = await this.session.request<CloudKittySummary>('rating', {
        params: {
          begin: isoTime(req.begin),
          end: isoTime(req.end),
          filters: filters.length > 0 ? filters : undefined,
          groupby: req.groupby && req.groupby.length > 0 ? req.groupby : undefined,
          limit: this.pageSize,
          offset: results.length,
        },
        url: 'v2/summary',
      })
      pages++
      const page = res.data
      if (columns.length === 0) columns = page.columns ?? []
      total = page.total ?? 0
      const rows = page.results ?? []
      results.push(...rows)
      if (rows.length === 0 || results.length >= total) return {columns, pages, results, total}
    }
  }
}
