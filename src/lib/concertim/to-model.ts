/**
 * Concertim records (as the client reads them) → the model's plain types (pure).
 */
import type {Device, Rack, Team, Template} from './types.js'
import type {ConcertimDevice, ConcertimRack, ConcertimTeam, ConcertimTemplate} from '../model/concertim.js'
import type {JsonObject} from '../model/json.js'

export function toConcertimTeam(t: Team): ConcertimTeam {
  return {billingAcctId: t.billing_acct_id, id: t.id, name: t.name, projectId: t.project_id}
}

export function toConcertimTemplate(t: Template): ConcertimTemplate {
  return {description: t.description, disk: t.disk, foreignId: t.foreign_id, height: t.height, id: t.id, name: t.name, ram: t.ram, tag: t.tag, vcpus: t.vcpus}
}

export function toConcertimRack(r: Rack): ConcertimRack {
  return {
    creationOutput: r.creation_output,
    id: r.id,
    metadata: r.metadata,
    name: r.name,
    orderId: r.order_id,
    status: r.status,
    teamId: r.owner.id,
    uHeight: r.u_height,
  }
}

export function toConcertimDevice(d: Device, rackId?: string): ConcertimDevice {
  const loc = d.location as Device['location'] | null | undefined
  const valid = loc !== null && loc !== undefined && typeof loc.start_u === 'number' && typeof loc.end_u === 'number'
  return {
    description: d.description,
    details: {...(d.details as unknown as JsonObject)},
    id: d.id,
    location: valid ? {endU: loc.end_u, facing: loc.facing === 'b' ? 'b' : 'f', startU: loc.start_u} : null,
    metadata: d.metadata,
    name: d.name,
    rackId: (valid && typeof loc.rack_id === 'string' && loc.rack_id !== '' ? loc.rack_id : undefined) ?? rackId ?? null,
    status: d.status,
    templateId: d.template_id === 'undefined' || d.template_id === '' ? null : d.template_id,
    type: d.type,
  }
}
