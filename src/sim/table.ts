/**
 * An indexed collection of simulated records: O(1) lookup by id, and a sorted view (whole, or per
 * partition such as a project) that is rebuilt only after an insert or a delete, so that paging
 * through 10,000 servers costs a binary search and a slice per page.
 */

export interface Page<T> {
  items: T[]
  /** True when records remain after this page. */
  more: boolean
}

export class Table<T extends {id: string}> {
  private readonly byId = new Map<string, T>()
  private partitions: Map<string, T[]> | null = null
  private sorted: T[] | null = null

  constructor(
    readonly compare: (a: T, b: T) => number,
    private readonly partitionKey?: (t: T) => string,
  ) {}

  get size(): number {
    return this.byId.size
  }

  /** Every record in sort order. */
  all(): T[] {
    this.sorted ??= [...this.byId.values()].sort(this.compare)
    return this.sorted
  }

  delete(id: string): T | undefined {
    const t = this.byId.get(id)
    if (t !== undefined) {
      this.byId.delete(id)
      this.invalidate()
    }
    return t
  }

  get(id: string): T | undefined {
    return this.byId.get(id)
  }

  has(id: string): boolean {
    return this.byId.has(id)
  }

  /** Records with this partition key (e.g. project id), in sort order. */
  partition(key: string): T[] {
    if (this.partitions === null) {
      const parts = new Map<string, T[]>()
      const fn = this.partitionKey
      if (fn === undefined) throw new Error('table has no partition key')
      for (const t of this.all()) {
        const k = fn(t)
        let list = parts.get(k)
        if (list === undefined) {
          list = []
          parts.set(k, list)
        }
        list.push(t)
      }
      this.partitions = parts
    }
    return this.partitions.get(key) ?? []
  }

  /** Insert or replace a record. Sort keys of a stored record must not be changed in place. */
  put(t: T): T {
    const had = this.byId.has(t.id)
    this.byId.set(t.id, t)
    if (!had || this.sorted !== null) this.invalidate()
    return t
  }

  values(): IterableIterator<T> {
    return this.byId.values()
  }

  private invalidate(): void {
    this.sorted = null
    this.partitions = null
  }
}

/**
 * The page of `items` (sorted by `compare`) that starts after `marker` (any record, even one not in
 * `items`: real services compare sort keys, not positions), at most `limit` long.
 */
export function pageAfter<T>(items: T[], compare: (a: T, b: T) => number, marker: T | undefined, limit: number): Page<T> {
  const start = marker === undefined ? 0 : positionAfter(items, compare, marker)
  const end = Math.min(items.length, start + limit)
  return {items: items.slice(start, end), more: end < items.length}
}

/** How many of `items` (sorted by `compare`) sort at or before `marker`: a binary search. */
export function positionAfter<T>(items: T[], compare: (a: T, b: T) => number, marker: T): number {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compare(items[mid], marker) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Newest first, ties by id descending: the default order of nova, cinder and heat listings. */
export function newestFirst<T extends {createdAt: number; id: string}>(a: T, b: T): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}

/** Ascending by id: neutron's and gnocchi's default order. */
export function byId<T extends {id: string}>(a: T, b: T): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}
