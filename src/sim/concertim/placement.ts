/**
 * Location validation (reference/concertim-api.md §6.2), in the app's order: numericality of
 * start_u/end_u, facing, rack presence, `start_u_is_valid` (the "rack too small" rule) and
 * `target_u_is_empty`, which — a quirk of the real app, reproduced here — checks only the single U
 * at `start_u` for occupancy.
 */
import {ModelErrors, parseNumber} from './model-errors.js'
import type {ConcertimState, Facing, RackRecord} from './state.js'

export interface LocationCandidate {
  /** The raw facing (the DB default "f" already applied on create). */
  facing: unknown
  /** The location being moved (excluded from the occupancy check). */
  locationId?: string
  rack: RackRecord | undefined
  /** Raw start_u as sent. */
  startU: unknown
  uDepth: number
  uHeight: number
}

export interface ValidLocation {
  endU: number
  facing: Facing
  startU: number
}

/** Thrown where the real app raises NoMethodError (start_u given, rack missing): a 500. */
export class MissingRackError extends Error {
  constructor() {
    super("undefined method `u_height' for nil")
    this.name = 'NoMethodError'
  }
}

/** Rails' integer cast of the raw value (nil for non-numeric strings). */
export function castInteger(raw: unknown): number | undefined {
  if (typeof raw === 'boolean') return raw ? 1 : 0
  const n = parseNumber(raw)
  return n === undefined ? undefined : Math.trunc(n)
}

export function validateLocation(state: ConcertimState, c: LocationCandidate, errors: ModelErrors): ValidLocation | undefined {
  const startU = castInteger(c.startU)
  const endU = startU === undefined ? undefined : startU + c.uHeight - 1
  errors.numericality('start_u', c.startU, {greaterThan: 0, onlyInteger: true})
  errors.numericality('end_u', endU ?? null, {greaterThan: 0, onlyInteger: true})
  const facing = c.facing
  if (facing !== 'f' && facing !== 'b') {
    errors.add('facing', "must be either 'b' or 'f'", {error: 'inclusion', permitted: ['b', 'f'], value: facing ?? null})
  }
  errors.mustExist('rack', c.rack !== undefined)
  if (startU !== undefined && endU !== undefined) {
    if (!c.rack) throw new MissingRackError()
    const rack = c.rack
    if (startU > rack.u_height || startU < 1) errors.add('start_u', 'is invalid')
    if (endU > rack.u_height) errors.add('end_u', 'is invalid')
    if (facing === 'f' || facing === 'b') {
      if (startU < 1 || startU > rack.u_height) errors.add('start_u', 'is invalid')
      else if (!uIsEmpty(state, rack, startU, c.locationId, c.uDepth === rack.u_depth ? undefined : facing)) errors.add('start_u', 'is occupied')
    }
  }
  if (!errors.empty || startU === undefined || endU === undefined || (facing !== 'f' && facing !== 'b')) return undefined
  return {endU, facing, startU}
}

/**
 * `rack.u_is_empty?(u, exclude:, facing:)`: U `u` is taken by another location spanning it that is full
 * depth, or faces the same way, or by any location when the check is facing-agnostic (`facing` nil).
 */
export function uIsEmpty(state: ConcertimState, rack: RackRecord, u: number, exclude: string | undefined, facing: Facing | undefined): boolean {
  for (const l of state.locationsOfRack(rack.id)) {
    if (l.id === exclude) continue
    if (l.start_u > u || u > l.end_u) continue
    if (facing === undefined || l.u_depth === rack.u_depth || l.facing === facing) return false
  }
  return true
}

/** The highest occupied U (`highest_empty_u`, misnamed in the app): max end_u, 0 when empty. */
export function highestOccupiedU(state: ConcertimState, rackId: string): number {
  let max = 0
  for (const l of state.locationsOfRack(rackId)) if (l.end_u > max) max = l.end_u
  return max
}
