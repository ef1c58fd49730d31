/**
 * Where a device goes in a rack (DESIGN §3 "Placement", concertim-api §6).
 *
 * Concertim checks only `1 ≤ start_u ≤ u_height`, `end_u ≤ u_height` and that the single U at
 * `start_u` is free; we are stricter and never overlap devices. Instances and volumes fill from the
 * bottom, networks from the top (as the original, §3.6, but every U including the top one is tried).
 * A device that does not fit grows the rack, up to 72 U; if even that is not enough, no place.
 */
import {type DeviceType, MAX_RACK_HEIGHT} from '../model/concertim.js'

/** The U positions taken in one rack (front and back alike: every API device is full depth). */
export class RackOccupancy {
  private readonly taken: Set<number>
  private highest: number

  constructor(
    public height: number,
    spans: Iterable<{endU: number; startU: number}> = [],
  ) {
    this.taken = new Set()
    this.highest = 0
    for (const s of spans) this.occupy(s.startU, s.endU)
  }

  /** The highest occupied U (0 when empty): Concertim will not shrink a rack below it. */
  get highestOccupied(): number {
    return this.highest
  }

  isFree(startU: number, endU: number): boolean {
    if (startU < 1 || endU > this.height) return false
    for (let u = startU; u <= endU; u++) if (this.taken.has(u)) return false
    return true
  }

  occupy(startU: number, endU: number): void {
    for (let u = startU; u <= endU; u++) this.taken.add(u)
    if (endU > this.highest) this.highest = endU
  }
}

export type Placement =
  | {endU: number; facing: 'f'; fits: true; grewTo?: number; startU: number}
  | {fits: false; reason: string}

function fromBottom(rack: RackOccupancy, size: number): null | number {
  for (let start = 1; start + size - 1 <= rack.height; start++) if (rack.isFree(start, start + size - 1)) return start
  return null
}

function fromTop(rack: RackOccupancy, size: number): null | number {
  for (let start = rack.height - size + 1; start >= 1; start--) if (rack.isFree(start, start + size - 1)) return start
  return null
}

/**
 * A place for a device of `height` U and `type` in `rack`, or the reason there is none. The
 * occupancy is updated (and the rack's height, when it grew): place the next device with the same
 * object. `grewTo` is set when the rack had to grow; the caller then updates the rack's `u_height`
 * before creating the device.
 */
export function placeDevice(rack: RackOccupancy, height: number, type: DeviceType, maxHeight = MAX_RACK_HEIGHT): Placement {
  if (!Number.isInteger(height) || height < 1) return {fits: false, reason: `a device height of ${height} U is not valid`}
  if (height > maxHeight) return {fits: false, reason: `a ${height} U device is taller than the largest rack (${maxHeight} U)`}
  const find = type === 'Network' ? fromTop : fromBottom
  let start = find(rack, height)
  let grewTo: number | undefined
  if (start === null) {
    // Only the space above the highest device can grow; gaps below were too small already.
    const needed = Math.max(rack.height, rack.highestOccupied + height)
    if (needed > maxHeight) {
      return {fits: false, reason: `no room for a ${height} U device: the rack is full even at ${maxHeight} U`}
    }
    rack.height = needed
    grewTo = needed
    start = find(rack, height)
    if (start === null) return {fits: false, reason: `no room for a ${height} U device`}
  }
  rack.occupy(start, start + height - 1)
  return grewTo === undefined
    ? {endU: start + height - 1, facing: 'f', fits: true, startU: start}
    : {endU: start + height - 1, facing: 'f', fits: true, grewTo, startU: start}
}

/** Whether a location is valid in a rack of `height` U (Concertim's own rule, §6.2 step 5). */
export function isValidLocation(location: {endU: number; startU: number} | null, height: number): boolean {
  return (
    location !== null &&
    Number.isInteger(location.startU) &&
    Number.isInteger(location.endU) &&
    location.startU >= 1 &&
    location.endU >= location.startU &&
    location.endU <= height
  )
}
