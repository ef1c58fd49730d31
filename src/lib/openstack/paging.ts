/**
 * Paging to the end (DESIGN §3 "completeness"): every OpenStack list is read page by page by
 * following the server's next link until there is none. Only the next link's query (marker, limit,
 * offset…) is used, on our own endpoint URL: a link may name a host we cannot reach (a proxy's
 * inside address). A link that leads back to a page already read stops the listing with an error
 * instead of looping for ever.
 */
import {PagingLoopError} from './errors.js'
import type {ApiLink} from './types.js'

export type QueryParams = Record<string, boolean | number | string | string[] | undefined>

export interface FetchedPage<T> {
  items: T[]
  /** The next page's link (absolute or relative), or nothing on the last page. */
  next?: null | string
}

export interface PagedList<T> {
  items: T[]
  pages: number
}

/** The `rel: next` link of a `*_links` array. */
export function nextLink(links: ApiLink[] | undefined): string | undefined {
  return links?.find((l) => l.rel === 'next')?.href
}

/** The `rel="next"` target of an HTTP `Link` header (Gnocchi). */
export function nextFromLinkHeader(header: string | undefined): string | undefined {
  if (!header) return undefined
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /<([^>]*)>\s*;(.*)$/.exec(part.trim())
    if (m && /\brel\s*=\s*"?next"?/i.test(m[2])) return m[1]
  }
  return undefined
}

/** The query of a link as request parameters (a repeated key becomes a list). */
export function linkQuery(href: string): Record<string, string | string[]> {
  const url = new URL(href, 'http://relative.invalid/')
  const out: Record<string, string | string[]> = {}
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key)
    out[key] = values.length === 1 ? values[0] : values
  }
  return out
}

function pageKey(params: QueryParams): string {
  const marker = params.marker
  if (typeof marker === 'string' && marker !== '') return `marker=${marker}`
  return Object.keys(params)
    .sort()
    .map((k) => `${k}=${JSON.stringify(params[k])}`)
    .join('&')
}

/**
 * Read every page. `fetchPage` gets the parameters of one page: the first call's, then each next
 * link's query laid over them.
 */
export async function collectPages<T>(
  where: {system: string; what: string},
  first: QueryParams,
  fetchPage: (params: QueryParams) => Promise<FetchedPage<T>>,
): Promise<PagedList<T>> {
  const items: T[] = []
  const seen = new Set<string>([pageKey(first)])
  let params = first
  let pages = 0
  for (;;) {
    const page = await fetchPage(params)
    pages++
    items.push(...page.items)
    if (!page.next) return {items, pages}
    const next: QueryParams = {...first, ...linkQuery(page.next)}
    const key = pageKey(next)
    if (seen.has(key)) throw new PagingLoopError(where.system, where.what, `page ${pages + 1} would repeat ${key}`)
    seen.add(key)
    params = next
  }
}
