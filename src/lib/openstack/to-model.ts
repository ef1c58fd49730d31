/**
 * OpenStack records (as the clients read them) → the model's plain types (pure).
 */
import type {Flavor, Network, Server, StackOutput, Volume} from '../model/cloud.js'
import type {JsonValue} from '../model/json.js'
import {isEmbeddedFlavor} from './nova.js'
import type {CinderVolume, HeatStackDetail, NeutronNetwork, NovaFlavor, NovaPartialServer, NovaServer} from './types.js'

// Mapping of client records to the model's plain types (pure).

export function toFlavor(f: NovaFlavor): Flavor {
  return {disk: f.disk, id: f.id, name: f.name, ram: f.ram, vcpus: f.vcpus}
}

export function toServer(s: NovaServer): Server {
  const fixed: string[] = []
  const floating: string[] = []
  for (const addresses of Object.values(s.addresses ?? {})) {
    for (const a of addresses) {
      if (a['OS-EXT-IPS:type'] === 'floating') floating.push(a.addr)
      else fixed.push(a.addr)
    }
  }
  const flavor = s.flavor
  return {
    fixedIps: fixed,
    flavorId: isEmbeddedFlavor(flavor) ? null : flavor.id,
    ...(isEmbeddedFlavor(flavor) ? {flavorName: flavor.original_name} : {}),
    floatingIps: floating,
    id: s.id,
    keyName: s.key_name ?? null,
    name: s.name,
    networkNames: Object.keys(s.addresses ?? {}),
    powerState: s['OS-EXT-STS:power_state'] ?? null,
    projectId: s.tenant_id,
    status: s.status,
    taskState: s['OS-EXT-STS:task_state'] ?? null,
    vmState: s['OS-EXT-STS:vm_state'] ?? null,
    volumeIds: (s['os-extended-volumes:volumes_attached'] ?? []).map((v) => v.id),
  }
}

/** A down-cell record: it proves the server exists, nothing more. */
export function toPartialServer(s: NovaPartialServer): Server {
  return {
    fixedIps: [],
    flavorId: null,
    floatingIps: [],
    id: s.id,
    keyName: null,
    name: '',
    networkNames: [],
    partial: true,
    powerState: null,
    projectId: s.tenant_id ?? '',
    status: s.status,
    taskState: null,
    vmState: null,
    volumeIds: [],
  }
}

export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  if (typeof v === 'string') {
    const t = v.toLowerCase()
    if (t === 'true') return true
    if (t === 'false') return false
  }
  return null
}

export function toVolume(v: CinderVolume): Volume {
  return {
    attachments: (v.attachments ?? []).map((a) => ({device: a.device ?? null, serverId: a.server_id})),
    availabilityZone: v.availability_zone ?? null,
    bootable: bool(v.bootable),
    encrypted: bool(v.encrypted),
    id: v.id,
    name: v.name ?? null,
    projectId: v['os-vol-tenant-attr:tenant_id'] ?? null,
    size: typeof v.size === 'number' ? v.size : null,
    status: v.status,
    volumeType: v.volume_type ?? null,
  }
}

export function toNetwork(n: NeutronNetwork): Network {
  return {
    adminStateUp: typeof n.admin_state_up === 'boolean' ? n.admin_state_up : null,
    id: n.id,
    l2Adjacency: typeof n.l2_adjacency === 'boolean' ? n.l2_adjacency : null,
    mtu: typeof n.mtu === 'number' ? n.mtu : null,
    name: n.name ?? '',
    portSecurityEnabled: typeof n.port_security_enabled === 'boolean' ? n.port_security_enabled : null,
    projectId: n.project_id ?? n.tenant_id ?? null,
    shared: typeof n.shared === 'boolean' ? n.shared : null,
    status: n.status,
  }
}

/** The outputs of a stack show (`outputs` of `GET /stacks/{name}/{id}`, values resolved). */
export function toStackOutputs(detail: Pick<HeatStackDetail, 'outputs'>): StackOutput[] {
  return (detail.outputs ?? []).map((o) => ({
    description: o.description ?? null,
    key: o.output_key,
    value: (o.output_value ?? null) as JsonValue,
    ...(o.output_error === undefined ? {} : {error: o.output_error}),
  }))
}
