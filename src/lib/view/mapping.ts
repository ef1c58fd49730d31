/**
 * The mapping `view dump` shows: every team, user, template, rack and device with its Concertim,
 * OpenStack and Kill Bill ids and status. Built (pure) from what the view store holds — the entries
 * a sync records — or from a fresh observation (`--refresh`).
 */
import {KEYSTONE_NOTE_PREFIX} from '../store/notes.js'
import type {ViewEntry} from '../store/types.js'

export const VIEW_TYPES = ['team', 'user', 'template', 'rack', 'device'] as const
export type ViewType = (typeof VIEW_TYPES)[number]

export interface TeamRow {
  billingAccountId: null | string
  concertimId: string
  name: string
  projectId: null | string
  /** When `listen` saw Keystone delete the team's project (the team is still linked to it). */
  projectDeletedAt?: null | string
}

export interface UserRow {
  cloudUserId: null | string
  /** When `listen` saw Keystone delete the user's OpenStack user (the Concertim user is still linked to it). */
  cloudUserDeletedAt?: null | string
  concertimId: string
  login: string
  name: string
  status: null | string
  teamIds: string[]
}

export interface TemplateRow {
  concertimId: null | string
  flavorId: null | string
  height: null | number
  name: null | string
}

export interface RackRow {
  concertimId: null | string
  name: null | string
  orderId: null | string
  projectId: null | string
  stackId: null | string
  status: null | string
  teamId: null | string
  teamName: null | string
  uHeight: null | number
}

export interface DeviceRow {
  concertimId: null | string
  name: null | string
  openstackId: string
  rackName: null | string
  stackId: null | string
  status: null | string
  teamId: null | string
  teamName: null | string
  type: null | string
}

export interface ViewMapping {
  devices: DeviceRow[]
  racks: RackRow[]
  teams: TeamRow[]
  templates: TemplateRow[]
  users: UserRow[]
}

/** Teams and users as the view store keeps them (value `teams`, `users`) or as observed. */
export interface PeopleSnapshot {
  teams: TeamRow[]
  users: UserRow[]
}

const str = (v: unknown): null | string => (typeof v === 'string' && v !== '' ? v : null)
const num = (v: unknown): null | number => (typeof v === 'number' ? v : null)

/**
 * The mapping from view entries (keys `template:…`, `rack:…`, `device:…`), the people snapshot and
 * the Keystone deletions `listen` noted (`store.notes(KEYSTONE_NOTE_PREFIX)`, keys `keystone:…`).
 */
export function mappingFromEntries(entries: ReadonlyMap<string, ViewEntry>, people: PeopleSnapshot, keystoneNotes: ReadonlyMap<string, ViewEntry> = new Map()): ViewMapping {
  const templates: TemplateRow[] = []
  const racks: RackRow[] = []
  const devices: DeviceRow[] = []
  const rackNameById = new Map<string, string>()
  for (const [key, e] of entries) {
    if (key.startsWith('rack:') && str(e.concertimId) && str(e.name)) rackNameById.set(e.concertimId as string, e.name as string)
  }
  for (const [key, e] of entries) {
    if (key.startsWith('template:')) {
      templates.push({concertimId: str(e.concertimId), flavorId: str(e.flavorId) ?? key.slice('template:'.length), height: num(e.height), name: str(e.name)})
    } else if (key.startsWith('rack:')) {
      racks.push({
        concertimId: str(e.concertimId),
        name: str(e.name),
        orderId: str(e.orderId),
        projectId: str(e.projectId),
        stackId: str(e.stackId),
        status: str(e.status),
        teamId: str(e.teamId),
        teamName: str(e.teamName),
        uHeight: num(e.uHeight),
      })
    } else if (key.startsWith('device:')) {
      const rackId = str(e.rackId)
      devices.push({
        concertimId: str(e.concertimId),
        name: str(e.name),
        openstackId: str(e.instanceId) ?? key.slice('device:'.length),
        rackName: rackId === null ? null : (rackNameById.get(rackId) ?? null),
        stackId: str(e.stackId),
        status: str(e.status),
        teamId: str(e.teamId),
        teamName: str(e.teamName),
        type: str(e.type),
      })
    }
  }
  const byName = <T extends {name: null | string}>(a: T, b: T) => (a.name ?? '').localeCompare(b.name ?? '')
  return {
    devices: devices.sort((a, b) => (a.teamName ?? '').localeCompare(b.teamName ?? '') || (a.rackName ?? '').localeCompare(b.rackName ?? '') || byName(a, b)),
    racks: racks.sort((a, b) => (a.teamName ?? '').localeCompare(b.teamName ?? '') || byName(a, b)),
    teams: people.teams.map((t) => ({...t, projectDeletedAt: deletedAt(keystoneNotes, 'project', t.projectId)})).sort(byName),
    templates: templates.sort(byName),
    users: people.users.map((u) => ({...u, cloudUserDeletedAt: deletedAt(keystoneNotes, 'user', u.cloudUserId)})).sort((a, b) => a.login.localeCompare(b.login)),
  }
}

/** The key of the view store's note of a Keystone deletion `listen` saw (a note: it expires, see `store/notes.ts`). */
export function keystoneDeletionKey(kind: 'project' | 'user', id: string): string {
  return `${KEYSTONE_NOTE_PREFIX}${kind}:${id}`
}

function deletedAt(notes: ReadonlyMap<string, ViewEntry>, kind: 'project' | 'user', id: null | string): null | string {
  if (id === null) return null
  return str(notes.get(keystoneDeletionKey(kind, id))?.deletedAt)
}

export interface ViewFilter {
  /** A team name or Concertim id: only that team's objects (and users). */
  team?: string
  types?: readonly ViewType[]
}

/** Keep the types asked for and, with a team, only that team's objects. */
export function filterMapping(m: ViewMapping, f: ViewFilter): ViewMapping {
  const types = new Set(f.types && f.types.length > 0 ? f.types : VIEW_TYPES)
  let teamIds: Set<string> | undefined
  if (f.team !== undefined) {
    const wanted = f.team
    teamIds = new Set(m.teams.filter((t) => t.name === wanted || t.concertimId === wanted).map((t) => t.concertimId))
    for (const r of [...m.racks, ...m.devices]) if (r.teamId !== null && (r.teamName === wanted || r.teamId === wanted)) teamIds.add(r.teamId)
  }
  const inTeam = (id: null | string) => teamIds === undefined || (id !== null && teamIds.has(id))
  return {
    devices: types.has('device') ? m.devices.filter((d) => inTeam(d.teamId)) : [],
    racks: types.has('rack') ? m.racks.filter((r) => inTeam(r.teamId)) : [],
    teams: types.has('team') ? m.teams.filter((t) => inTeam(t.concertimId)) : [],
    // Templates belong to no team: shown unless only a team's objects were asked for.
    templates: types.has('template') && (teamIds === undefined || f.types?.includes('template')) ? m.templates : [],
    users: types.has('user') ? m.users.filter((u) => teamIds === undefined || u.teamIds.some((id) => teamIds!.has(id))) : [],
  }
}

/** The teams a `--team` filter can name: by name (else Concertim id), from the teams and from the racks and devices, sorted. */
export function knownTeams(m: ViewMapping): {id: string; name: null | string}[] {
  const byId = new Map<string, null | string>()
  for (const t of m.teams) byId.set(t.concertimId, t.name)
  for (const r of [...m.racks, ...m.devices]) if (r.teamId !== null && !byId.get(r.teamId)) byId.set(r.teamId, r.teamName ?? null)
  return [...byId].map(([id, name]) => ({id, name})).sort((a, b) => (a.name ?? a.id).localeCompare(b.name ?? b.id))
}

/** Whether a `--team` value (a name or a Concertim id) names a known team. */
export function isKnownTeam(m: ViewMapping, team: string): boolean {
  return knownTeams(m).some((t) => t.name === team || t.id === team)
}

/** Rows for people: one table per type. */
export function mappingTables(m: ViewMapping): {head: string[]; rows: string[][]; title: string}[] {
  const v = (x: null | number | string) => (x === null ? '–' : String(x))
  const gone = (id: null | string, at: null | string | undefined) => (id === null ? '–' : at ? `${id} (deleted ${at})` : id)
  const tables = [
    {head: ['team', 'concertim id', 'openstack project', 'kill bill account'], rows: m.teams.map((t) => [t.name, t.concertimId, gone(t.projectId, t.projectDeletedAt), v(t.billingAccountId)]), title: 'Teams'},
    {head: ['login', 'name', 'concertim id', 'openstack user', 'status'], rows: m.users.map((u) => [u.login, u.name, u.concertimId, gone(u.cloudUserId, u.cloudUserDeletedAt), v(u.status)]), title: 'Users'},
    {head: ['template', 'concertim id', 'openstack flavor', 'height (U)'], rows: m.templates.map((t) => [v(t.name), v(t.concertimId), v(t.flavorId), v(t.height)]), title: 'Templates'},
    {
      head: ['rack', 'team', 'concertim id', 'openstack stack', 'kill bill order', 'status', 'U'],
      rows: m.racks.map((r) => [v(r.name), v(r.teamName), v(r.concertimId), v(r.stackId ?? (r.projectId ? `project ${r.projectId}` : null)), v(r.orderId), v(r.status), v(r.uHeight)]),
      title: 'Racks',
    },
    {
      head: ['device', 'type', 'team', 'rack', 'concertim id', 'openstack id', 'status'],
      rows: m.devices.map((d) => [v(d.name), v(d.type), v(d.teamName), v(d.rackName), v(d.concertimId), d.openstackId, v(d.status)]),
      title: 'Devices',
    },
  ]
  return tables.filter((t) => t.rows.length > 0)
}
