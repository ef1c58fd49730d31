/**
 * The baseline: per managed object, a hash of the fields we own as last written (or last seen in
 * agreement), and how many consecutive complete syncs missed it (deletion confirmation, DESIGN §3).
 * Pure: `recordResults` returns the next baseline, the store writes it.
 */
import {createHash} from 'node:crypto'

import type {Baseline, BaselineEntry} from '../model/baseline.js'
import type {JsonValue} from '../model/json.js'
import type {ActionResult, Plan} from '../model/plan.js'
import {stableJson} from './owned-fields.js'

/** A short, stable hash of owned fields (canonical values, keys sorted). */
export function hashOwnedFields(fields: JsonValue): string {
  return hashText(stableJson(fields))
}

/** The hash of a canonical text (sha1: not a security boundary, only change detection). */
export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('base64url')
}

export interface RecordOptions {
  /**
   * A full-scope plan whose every listing was complete: entries it does not mention are dropped
   * (their objects are gone from both sides). A partial read never drops what it could not see.
   */
  complete?: boolean
}

/**
 * The next baseline after `plan` was applied with `results` (one per attempted action, matched by
 * key and kind). Objects found in agreement and successful writes get their hash and zero misses;
 * successful deletes drop their entry; withheld deletes do to the miss count what their deletion
 * decision says (`deletion.misses`: count, keep or reset) — and only a full-scope plan counts a
 * miss; failed writes leave the entry as it was. In a complete full-scope plan, entries the plan no
 * longer mentions are dropped.
 */
export function recordResults(baseline: Baseline, plan: Plan, results: readonly ActionResult[], opts: RecordOptions = {}): Baseline {
  const entries: Record<string, BaselineEntry> = {...baseline.entries}
  const resultOf = new Map<string, ActionResult>()
  for (const r of results) resultOf.set(`${r.kind}\u0000${r.key}`, r)
  const mentioned = new Set<string>(plan.kept)
  const full = plan.scope.kind === 'all'

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
      else if (result === undefined && action.blocked !== undefined) {
        const effect = action.deletion?.misses ?? 'keep'
        const misses = effect === 'reset' ? 0 : effect === 'count' && full ? (before?.misses ?? 0) + 1 : (before?.misses ?? 0)
        if (before === undefined && misses === 0) continue
        entries[action.key] = {...(before ?? {hash: ''}), misses}
        if (action.concertimId !== null) entries[action.key].concertimId = action.concertimId
      }
      continue
    }
    if (result?.ok === true) {
      const concertimId = result.concertimId ?? action.concertimId ?? before?.concertimId
      entries[action.key] = {...(concertimId === undefined ? {} : {concertimId}), hash: action.hash ?? '', misses: 0}
    } else if (before !== undefined) entries[action.key] = {...before, misses: 0}
  }

  if (full && opts.complete !== false) for (const key of Object.keys(entries)) if (!mentioned.has(key)) delete entries[key]
  return {entries, version: 1}
}
