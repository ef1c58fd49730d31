/**
 * Names valid for Concertim (concertim-api §4.4, §4.5, §4.6, §6.4):
 * - rack names `[A-Za-z0-9_-]`, ≤ 255, unique per team;
 * - device names `[A-Za-z0-9.-]`, ≤ 150, unique per rack;
 * - template names anything, ≤ 255, globally unique.
 * De-duplication is deterministic and sticky: a name an object already has is kept when it is still
 * a valid name for it, so a newcomer never renames an existing object.
 */
import {MAX_DEVICE_NAME, MAX_RACK_NAME, MAX_TEMPLATE_NAME} from '../model/concertim.js'

/** `[A-Za-z0-9_-]`; anything else (dots, spaces, accents) becomes `-`. */
export function rackName(raw: string, fallback = 'rack'): string {
  const name = raw.replaceAll(/[^A-Za-z0-9_-]/g, '-').slice(0, MAX_RACK_NAME)
  return name === '' ? fallback : name
}

/** `[A-Za-z0-9.-]`; anything else (underscores, spaces, accents) becomes `-`. */
export function deviceName(raw: string, fallback: string): string {
  const name = raw.replaceAll(/[^A-Za-z0-9.-]/g, '-').slice(0, MAX_DEVICE_NAME)
  return name === '' ? rackName(fallback).replaceAll('_', '-').slice(0, MAX_DEVICE_NAME) : name
}

/**
 * The name the original service gave a device (`.` and `_` → `-`): accepted as current, so devices
 * it made are not renamed just because we keep dots.
 */
export function legacyDeviceName(raw: string): string {
  return raw.replaceAll(/[._]/g, '-')
}

export function templateName(raw: string, fallback: string): string {
  const name = raw.trim().slice(0, MAX_TEMPLATE_NAME)
  return name === '' ? fallback : name
}

/** `base` with the suffix `-n` (n ≥ 2), cut so that the whole stays within `max`. */
export function suffixed(base: string, n: number, max: number): string {
  if (n <= 1) return base.slice(0, max)
  const suffix = `-${n}`
  return base.slice(0, max - suffix.length) + suffix
}

/** Whether `name` is `base` or `base-n` (as `suffixed` makes it). */
export function isNameFor(name: string, base: string, max: number): boolean {
  if (name === base.slice(0, max)) return true
  const m = /-(\d+)$/.exec(name)
  if (m === null) return false
  const n = Number(m[1])
  return n >= 2 && String(n) === m[1] && suffixed(base, n, max) === name
}

export interface NameRequest {
  /** The valid base name wanted. */
  base: string
  /** The name the object has now in Concertim, if it exists. */
  current?: string
  /** Other names that count as already right for this object (e.g. the legacy form). */
  alsoAccepted?: readonly string[]
  /** Sort key for deterministic order (a cloud id). */
  key: string
}

/**
 * Unique names within one namespace (a team's racks, a rack's devices, all templates).
 * `taken` holds names used by objects we do not name (hand-made ones); they are never reused.
 * 1. An object keeps its current name when that is `base`, `base-n` or an accepted form, and no one
 *    earlier (in key order) kept it already.
 * 2. The rest, in key order, get `base`, else `base-2`, `base-3`, … skipping names in use.
 * Returns key → name.
 */
export function assignNames(requests: readonly NameRequest[], taken: ReadonlySet<string>, max: number): Map<string, string> {
  const used = new Set(taken)
  const out = new Map<string, string>()
  const sorted = [...requests].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  for (const r of sorted) {
    const c = r.current
    if (c === undefined || used.has(c)) continue
    if (isNameFor(c, r.base, max) || (r.alsoAccepted ?? []).includes(c)) {
      used.add(c)
      out.set(r.key, c)
    }
  }
  for (const r of sorted) {
    if (out.has(r.key)) continue
    let n = 1
    let name = suffixed(r.base, n, max)
    while (used.has(name)) name = suffixed(r.base, ++n, max)
    used.add(name)
    out.set(r.key, name)
  }
  return out
}

/**
 * The `order_id` of a rack when billing is off or has no subscription for the stack. Concertim wants
 * one, globally unique (§4.4): the stack id is, so the order id is derived from it, and is the same
 * on every run and every host.
 */
export function deterministicOrderId(stackId: string): string {
  return `concertim-os:stack:${stackId}`
}

/** The order id of the rack of a project's stand-alone servers. */
export function standaloneOrderId(projectId: string): string {
  return `concertim-os:project:${projectId}`
}
