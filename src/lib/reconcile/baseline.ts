/**
 * The baseline: per managed object, a hash of the fields we own as last written (or last seen in
 * agreement), and how many consecutive complete syncs missed it (deletion confirmation, DESIGN §3).
 * Pure: `recordResults` returns the next baseline, the store writes it.
 */
import {createHash} from 'node:crypto'

import type {Baseline, BaselineEntry} from '../model/baseline.js'
import type {JsonValue} from '../model/json.js'
import type {Action, ActionResult, Plan} from '../model/plan.js'
import {stableJson} from './owned-fields.js'

/** A short, stable hash of owned fields (canonical values, keys sorted). */
export function hashOwnedFields(fields: JsonValue): string {
  return hashText(stableJson(fields))
}

/** The hash of a canonical text (sha1: not a security boundary, only change detection). */
export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('base64url')
}

/** Withheld deletes whose object was missed by a complete listing: they count as a miss. */
function countsAsMiss(action: Action): boolean {
  return action.kind === 'delete' && action.blocked !== undefined && action.blocked.code !== 'incomplete'
}

/**
 * The next baseline after `plan` was applied with `results` (one per attempted action, matched by
 * key and kind). Objects found in agreement and successful writes get their hash and zero misses;
 * successful deletes drop their entry; withheld deletes of missed objects add a miss; failed writes
 * leave the entry as it was. In a full-scope plan, entries the plan no longer mentions are dropped
 * (their objects are gone from both sides).
 */
export function recordResults(baseline: Baseline, plan: Plan, results: readonly ActionResult[]): Baseline {
  const entries: Record<string, BaselineEntry> = {...baseline.entries}
  const resultOf = new Map<string, ActionResult>()
  for (const r of results) resultOf.set(`${r.kind}\u0000${r.key}`, r)
  const mentioned = new Set<string>(plan.kept)

  for (const [key, seen] of Object.entries(plan.observed)) {
    mentioned.add(key)
    entries[key] = {concertimId: seen.concertimId, hash: seen.hash, misses: 0}
  }

  for (const action of plan.actions) {
    mentioned.add(action.key)
    const result = resultOf.get(`${action.kind}\u0000${action.key}`)
    const before = Object.hasOwn(entries, action.key) ? entries[action.key] : undefined
    if (action.kind === 'delete') {
      if (result?.ok === true) delete entries[action.key]
      else if (result === undefined && countsAsMiss(action)) {
        entries[action.key] = {...(before ?? {hash: ''}), misses: (before?.misses ?? 0) + 1}
        if (action.concertimId !== null) entries[action.key].concertimId = action.concertimId
      }
      continue
    }
    if (result?.ok === true) {
      const concertimId = result.concertimId ?? action.concertimId ?? before?.concertimId
      entries[action.key] = {...(concertimId === undefined ? {} : {concertimId}), hash: action.hash ?? '', misses: 0}
    } else if (before !== undefined) entries[action.key] = {...before, misses: 0}
  }

  if (plan.scope.kind === 'all') for (const key of Object.keys(entries)) if (!mentioned.has(key)) delete entries[key]
  return {entries, version: 1}
}
