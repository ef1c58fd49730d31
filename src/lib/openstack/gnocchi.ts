/**
 * Gnocchi (metric v1): resource search, dynamic aggregates and measures of one metric.
 * Searches and aggregates are POSTs that only read: they are sent as read-only and safe to repeat,
 * so they run under `--dry-run` and are retried like GETs. Searches are paged to the end by the
 * `Link: <…>; rel="next"` header Gnocchi sets when a page is full.
 */
import type {KeystoneSession} from './keystone.js'
import {collectPages, nextFromLinkHeader, type QueryParams} from './paging.js'
import type {GnocchiAggregatesGroup, GnocchiAggregatesResult, GnocchiMeasure, GnocchiOperations, GnocchiQuery, GnocchiResource, Timestamp} from './types.js'
import {isoTime} from './types.js'

export interface GnocchiClientOptions {
  /** Resources per search page (Gnocchi caps it at `[api] max_limit`, default 1000). */
  pageSize?: number
}

export interface SearchResourcesOptions {
  /** Include the type's attributes (default true). */
  details?: boolean
  /** Sort key; default `id:asc`, which keeps marker paging stable. */
  sort?: string
}

export interface AggregatesRequest {
  details?: boolean
  /** `dropna` unless given: a number, `null`, `ffill`, `bfill`, `full_ffill`, `full_bfill`. */
  fill?: number | string
  granularity?: number
  needed_overlap?: number
  operations: GnocchiOperations
  /** With a search: the resource type searched (e.g. `instance`). */
  resource_type?: string
  search?: GnocchiQuery | string
  start?: Timestamp
  stop?: Timestamp
}

export interface MeasuresOptions {
  /** `mean` unless given (e.g. `rate:mean`, `max`). */
  aggregation?: string
  granularity?: number
  /** Ask metricd to process pending measures first (costly: not for hot paths). */
  refresh?: boolean
  resample?: number
  start?: Timestamp
  stop?: Timestamp
}

export class GnocchiClient {
  private readonly pageSize: number

  constructor(
    private readonly session: KeystoneSession,
    options: GnocchiClientOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 1000
  }

  /** `POST /v1/aggregates` without grouping. */
  async aggregates(req: AggregatesRequest): Promise<GnocchiAggregatesResult> {
    return this.postAggregates<GnocchiAggregatesResult>(req, undefined)
  }

  /** `POST /v1/aggregates?groupby=…`: one entry per group (e.g. `groupby: ['id']` → one per resource). */
  async aggregatesGrouped(req: AggregatesRequest & {groupby: string[]}): Promise<GnocchiAggregatesGroup[]> {
    return this.postAggregates<GnocchiAggregatesGroup[]>(req, req.groupby)
  }

  /** Measures of one metric: `[timestamp, granularity, value]`, oldest first. */
  async measures(metricId: string, opts: MeasuresOptions = {}): Promise<GnocchiMeasure[]> {
    const res = await this.session.request<GnocchiMeasure[]>('metric', {
      params: {
        aggregation: opts.aggregation,
        granularity: opts.granularity,
        refresh: opts.refresh === true ? 'true' : undefined,
        resample: opts.resample,
        start: isoTime(opts.start),
        stop: isoTime(opts.stop),
      },
      url: `v1/metric/${encodeURIComponent(metricId)}/measures`,
    })
    return res.data ?? []
  }

  /** Resources of a type matching a query (every resource of the type without one), every page. */
  async searchResources(type: string, query?: GnocchiQuery, opts: SearchResourcesOptions = {}): Promise<GnocchiResource[]> {
    const first: QueryParams = {details: opts.details === false ? undefined : 'true', limit: this.pageSize, sort: opts.sort ?? 'id:asc'}
    const {items} = await collectPages<GnocchiResource>({system: 'gnocchi', what: `${type} resources`}, first, async (params) => {
      const res = await this.session.request<GnocchiResource[]>('metric', {
        body: query,
        idempotent: true,
        method: 'POST',
        params,
        readOnly: true,
        url: `v1/search/resource/${encodeURIComponent(type)}`,
      })
      return {items: res.data ?? [], next: nextFromLinkHeader(res.headers.link)}
    })
    return items
  }

  private async postAggregates<T>(req: AggregatesRequest, groupby: string[] | undefined): Promise<T> {
    const body: Record<string, unknown> = {operations: req.operations}
    if (req.resource_type !== undefined) body.resource_type = req.resource_type
    if (req.search !== undefined) body.search = req.search
    const res = await this.session.request<T>('metric', {
      body,
      idempotent: true,
      method: 'POST',
      params: {
        details: req.details === true ? 'true' : undefined,
        fill: req.fill === undefined ? undefined : String(req.fill),
        granularity: req.granularity,
        groupby,
        needed_overlap: req.needed_overlap,
        start: isoTime(req.start),
        stop: isoTime(req.stop),
      },
      readOnly: true,
      url: 'v1/aggregates',
    })
    return res.data
  }
}
