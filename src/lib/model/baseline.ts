/**
 * What the last runs left behind, per managed object key (see desired.ts for keys): a hash of the
 * fields we own as last written or seen in agreement, and the number of consecutive complete syncs
 * that missed the object (deletion confirmation, DESIGN §3). Plain JSON: the store writes it as is.
 */
export interface BaselineEntry {
  /** The Concertim id, when known. */
  concertimId?: string
  /** Hash of the owned fields (`hashOwnedFields`). Empty when never written. */
  hash: string
  /** Consecutive complete syncs that missed the object. */
  misses: number
}

export interface Baseline {
  entries: Readonly<Record<string, BaselineEntry>>
  version: 1
}

export const EMPTY_BASELINE: Baseline = {entries: {}, version: 1}
