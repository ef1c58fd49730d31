/**
 * CloudKitty's rated data for the simulated world: every instance is rated per full hour of life
 * (metric type `instance`, qty = hours) and every volume per GiB-hour (`volume.size`), like
 * CloudKitty's hourly collection periods with the default metrics.yml. Computed on demand.
 */
import type {World} from './world.js'

export interface RatedFrame {
  id: string
  project_id: string
  qty: number
  rate: number
  type: string
  user_id: string
}

const HOUR = 3_600_000

/** Rated frames of every resource in [begin, end), up to the world's now (only completed hours). */
export function ratedFrames(world: World, begin: number, end: number): RatedFrame[] {
  const until = Math.min(end, Math.floor(world.now() / HOUR) * HOUR)
  const frames: RatedFrame[] = []
  const rateServer = (s: {createdAt: number; deletedAt: number | null; flavorId: string; id: string; projectId: string; userId: string}) => {
    const hours = fullHours(s.createdAt, s.deletedAt, begin, until)
    if (hours <= 0) return
    const price = world.rating.instanceHourly.get(s.flavorId) ?? 0
    frames.push({id: s.id, project_id: s.projectId, qty: hours, rate: round(hours * price), type: 'instance', user_id: s.userId})
  }
  for (const s of world.servers.values()) rateServer(s)
  for (const s of world.serverTombstones.values()) rateServer(s)
  const rateVolume = (v: {createdAt: number; id: string; projectId: string; size: number; userId: string}, deletedAt: number | null) => {
    const hours = fullHours(v.createdAt, deletedAt, begin, until)
    if (hours <= 0) return
    const qty = hours * v.size
    frames.push({id: v.id, project_id: v.projectId, qty, rate: round(qty * world.rating.volumeGibHourly), type: 'volume.size', user_id: v.userId})
  }
  for (const v of world.volumes.values()) rateVolume(v, null)
  for (const v of world.volumeTombstones.values()) rateVolume(v, v.deletedAt)
  return frames
}

function fullHours(created: number, deleted: number | null, begin: number, until: number): number {
  const from = Math.ceil(Math.max(created, begin) / HOUR) * HOUR
  const to = Math.floor(Math.min(deleted ?? until, until) / HOUR) * HOUR
  return Math.max(0, (to - from) / HOUR)
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6
}
