/**
 * Simulated Nova's write endpoints and per-project reads that `serve` uses, answering as Nova does:
 * server actions (`os-start`, `os-stop`, `suspend`, `resume`: 202, or 409 `conflictingRequest`
 * when the vm_state does not allow it, as `check_instance_state`), `DELETE /servers/{id}` (204),
 * volume detach through `os-volume_attachments` (202), key pairs (the token's user's; 200/201 by
 * microversion, 409 on a taken name, generated keys before 2.92), absolute limits, quota sets and
 * hypervisor statistics (admin; gone from 2.88). A server of another project answers 404 to a
 * non-admin token (Nova's project-scoped database lookup). Every change goes through CloudChanges
 * and so is followed by the notifications Nova publishes.
 */
import {createHash, generateKeyPairSync, randomUUID} from 'node:crypto'

import type {SimApp, SimHandler, SimReply, SimRequest} from '../http-app.js'
import {badRequest, conflict, forbidden, notFound} from './faults.js'
import type {Server, World} from '../world.js'
import type {RequestContext, ServiceOptions} from './context.js'

type Microversion = [number, number]
type Guard = (h: (r: SimRequest, ctx: RequestContext, mv: Microversion) => SimReply) => SimHandler

/** Default quotas of a project (nova.conf [quota]). */
export const NOVA_DEFAULT_QUOTA = {cores: 20, instances: 10, key_pairs: 100, metadata_items: 128, ram: 51_200, server_group_members: 10, server_groups: 10}

const atLeast = (v: Microversion, min: Microversion): boolean => v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1])

/** Which vm_states allow an action (nova/compute/api.py `check_instance_state`). */
const ALLOWED: Record<string, {name: string; states: string[]}> = {
  'os-start': {name: 'start', states: ['stopped']},
  'os-stop': {name: 'stop', states: ['active', 'rescued', 'error']},
  resume: {name: 'resume', states: ['suspended']},
  suspend: {name: 'suspend', states: ['active']},
}

export function addNovaWriteRoutes(app: SimApp, world: World, opts: ServiceOptions, guard: Guard): void {
  const changes = () => {
    if (opts.changes === undefined) throw new Error('the simulator was started without CloudChanges')
    return opts.changes
  }
  const accepted = (status = 202, body?: unknown): SimReply => {
    const id = `req-${randomUUID()}`
    return {body, headers: {'x-compute-request-id': id, 'x-openstack-request-id': id}, status}
  }
  const visibleServer = (id: string, ctx: RequestContext): Server | undefined => {
    const s = world.servers.get(id)
    return s === undefined || (!ctx.isAdmin && s.projectId !== ctx.project.id) ? undefined : s
  }

  app.route('POST', '/v2.1/servers/:id/action', guard((r, ctx) => {
    const body = r.body
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return badRequest('The request body is invalid.')
    const keys = Object.keys(body)
    const action = keys[0]
    if (keys.length !== 1 || ALLOWED[action] === undefined) return notFound(`There is no such action: ${keys.join(', ')}`)
    const s = visibleServer(r.params.id, ctx)
    if (s === undefined) return notFound(`Instance ${r.params.id} could not be found.`)
    if (s.locked && !ctx.isAdmin) return conflict(`Instance ${s.id} is locked`)
    const rule = ALLOWED[action]
    if (!rule.states.includes(s.vmState) || s.taskState !== null) {
      return conflict(s.taskState === null ? `Cannot '${rule.name}' instance ${s.id} while it is in vm_state ${s.vmState}` : `Cannot '${rule.name}' instance ${s.id} while it is in task_state ${s.taskState}`)
    }
    const c = changes()
    if (action === 'os-start') c.startServer(s.id)
    else if (action === 'os-stop') c.stopServer(s.id)
    else if (action === 'suspend') c.suspendServer(s.id)
    else c.resumeServer(s.id)
    return accepted()
  }))

  app.route('DELETE', '/v2.1/servers/:id', guard((r, ctx) => {
    const s = visibleServer(r.params.id, ctx)
    if (s === undefined) return notFound(`Instance ${r.params.id} could not be found.`)
    if (s.locked && !ctx.isAdmin) return conflict(`Instance ${s.id} is locked`)
    changes().deleteServer(s.id)
    return accepted(204)
  }))

  app.route('DELETE', '/v2.1/servers/:id/os-volume_attachments/:volume', guard((r, ctx) => {
    const s = visibleServer(r.params.id, ctx)
    if (s === undefined) return notFound(`Instance ${r.params.id} could not be found.`)
    if (!s.volumeIds.includes(r.params.volume)) return notFound(`volume_id not found: ${r.params.volume}`)
    changes().detachVolume(r.params.volume, s.id)
    return accepted(202)
  }))

  // ---- key pairs: the token's user's ----
  const keyPairView = (k: {fingerprint: string; name: string; publicKey: string; type: string; userId: string}, mv: Microversion, extra: Record<string, unknown> = {}) => ({
    fingerprint: k.fingerprint,
    name: k.name,
    public_key: k.publicKey,
    ...(atLeast(mv, [2, 2]) ? {type: k.type} : {}),
    ...extra,
  })
  app.route('GET', '/v2.1/os-keypairs', guard((_r, ctx, mv) => {
    const mine = [...world.keyPairs.values()].filter((k) => k.userId === ctx.user.id).sort((a, b) => a.name.localeCompare(b.name))
    return {body: {keypairs: mine.map((k) => ({keypair: keyPairView(k, mv)}))}, status: 200}
  }))
  app.route('GET', '/v2.1/os-keypairs/:name', guard((r, ctx, mv) => {
    const k = world.keyPairs.get(`${ctx.user.id}/${r.params.name}`)
    if (k === undefined) return notFound(`Keypair ${r.params.name} not found for user ${ctx.user.id}`)
    return {body: {keypair: keyPairView(k, mv, {created_at: new Date(k.createdAt).toISOString().replace(/Z$/, ''), deleted: false, deleted_at: null, id: world.keyPairs.size, updated_at: null, user_id: k.userId})}, status: 200}
  }))
  app.route('POST', '/v2.1/os-keypairs', guard((r, ctx, mv) => {
    const kp = (r.body as {keypair?: {name?: unknown; public_key?: unknown; type?: unknown}} | null)?.keypair
    if (kp === undefined || typeof kp.name !== 'string' || kp.name === '') return badRequest("Invalid input for field/attribute keypair. Value: None. 'name' is a required property")
    if (!/^[\w\- .@]{1,255}$/.test(kp.name)) return badRequest(`Invalid input for field/attribute name. Value: ${kp.name}.`)
    if (kp.public_key === undefined && atLeast(mv, [2, 92])) return badRequest("Invalid input for field/attribute keypair. 'public_key' is a required property")
    const key = `${ctx.user.id}/${kp.name}`
    if (world.keyPairs.has(key)) return conflict(`Key pair '${kp.name}' already exists.`)
    const type = kp.type === 'x509' ? 'x509' : 'ssh'
    let publicKey: string
    let privateKey: string | undefined
    if (typeof kp.public_key === 'string') {
      if (!/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-\S+) [A-Za-z0-9+/=]+/.test(kp.public_key.trim())) return badRequest('Keypair data is invalid: failed to generate fingerprint')
      publicKey = kp.public_key.trim()
    } else {
      const made = generateKeyPairSync('ed25519')
      const raw = Buffer.from((made.publicKey.export({format: 'jwk'}) as {x: string}).x, 'base64url')
      publicKey = `ssh-ed25519 ${sshBlob('ssh-ed25519', raw).toString('base64')} Generated-by-Nova`
      privateKey = made.privateKey.export({format: 'pem', type: 'pkcs8'}) as string
    }
    const blob = Buffer.from(publicKey.split(/\s+/)[1] ?? '', 'base64')
    const fingerprint = (createHash('md5').update(blob).digest('hex').match(/../g) ?? []).join(':')
    world.keyPairs.set(key, {createdAt: world.now(), fingerprint, name: kp.name, publicKey, type, userId: ctx.user.id})
    const view = keyPairView({fingerprint, name: kp.name, publicKey, type, userId: ctx.user.id}, mv, {user_id: ctx.user.id, ...(privateKey === undefined ? {} : {private_key: privateKey})})
    return {body: {keypair: view}, status: atLeast(mv, [2, 2]) ? 201 : 200}
  }))
  app.route('DELETE', '/v2.1/os-keypairs/:name', guard((r, ctx, mv) => {
    const key = `${ctx.user.id}/${r.params.name}`
    if (!world.keyPairs.delete(key)) return notFound(`Keypair ${r.params.name} not found for user ${ctx.user.id}`)
    return {status: atLeast(mv, [2, 2]) ? 204 : 202}
  }))

  // ---- limits, quotas, statistics ----
  app.route('GET', '/v2.1/limits', guard((_r, ctx, mv) => {
    const servers = world.servers.partition(ctx.project.id)
    let cores = 0
    let ram = 0
    for (const s of servers) {
      const f = world.flavors.get(s.flavorId)
      cores += f?.vcpus ?? 0
      ram += f?.ram ?? 0
    }
    const q = NOVA_DEFAULT_QUOTA
    const absolute: Record<string, number> = {
      maxImageMeta: 128,
      maxPersonality: 5,
      maxPersonalitySize: 10_240,
      maxServerGroupMembers: q.server_group_members,
      maxServerGroups: q.server_groups,
      maxServerMeta: q.metadata_items,
      maxTotalCores: q.cores,
      maxTotalInstances: q.instances,
      maxTotalKeypairs: q.key_pairs,
      maxTotalRAMSize: q.ram,
      totalCoresUsed: cores,
      totalInstancesUsed: servers.length,
      totalRAMUsed: ram,
      totalServerGroupsUsed: [...world.serverGroups.values()].filter((g) => g.projectId === ctx.project.id).length,
    }
    if (!atLeast(mv, [2, 36])) Object.assign(absolute, {maxSecurityGroupRules: 20, maxSecurityGroups: 10, maxTotalFloatingIps: 10, totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 1})
    if (atLeast(mv, [2, 57])) {
      delete absolute.maxPersonality
      delete absolute.maxPersonalitySize
    }
    return {body: {limits: {absolute, rate: []}}, status: 200}
  }))
  app.route('GET', '/v2.1/os-quota-sets/:project', guard((r, ctx, mv) => {
    if (!ctx.isAdmin && r.params.project !== ctx.project.id) return forbidden("Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.")
    const q: Record<string, unknown> = {id: r.params.project, ...NOVA_DEFAULT_QUOTA}
    if (!atLeast(mv, [2, 57])) Object.assign(q, {injected_file_content_bytes: 10_240, injected_file_path_bytes: 255, injected_files: 5})
    return {body: {quota_set: q}, status: 200}
  }))
  app.route('GET', '/v2.1/os-hypervisors/statistics', guard((_r, ctx, mv) => {
    if (atLeast(mv, [2, 88])) return notFound('The resource could not be found.')
    if (!ctx.isAdmin) return forbidden("Policy doesn't allow os_compute_api:os-hypervisors:statistics to be performed.")
    const hosts = new Set<string>()
    let vcpusUsed = 0
    let ramUsed = 0
    let diskUsed = 0
    let running = 0
    for (const s of world.servers.all()) {
      if (s.host !== null) hosts.add(s.host)
      if (s.vmState === 'shelved_offloaded') continue
      const f = world.flavors.get(s.flavorId)
      vcpusUsed += f?.vcpus ?? 0
      ramUsed += f?.ram ?? 0
      diskUsed += (f?.disk ?? 0) + (f?.ephemeral ?? 0)
      running++
    }
    const count = Math.max(1, hosts.size)
    const stats = {
      count,
      current_workload: 0,
      disk_available_least: count * 2000 - diskUsed,
      free_disk_gb: count * 2000 - diskUsed,
      free_ram_mb: count * 262_144 - ramUsed - 512 * count,
      local_gb: count * 2000,
      local_gb_used: diskUsed,
      memory_mb: count * 262_144,
      memory_mb_used: ramUsed + 512 * count,
      running_vms: running,
      vcpus: count * 64,
      vcpus_used: vcpusUsed,
    }
    return {body: {hypervisor_statistics: stats}, status: 200}
  }))
}

/** The SSH wire encoding of a public key: string(type) string(key). */
function sshBlob(type: string, key: Buffer): Buffer {
  const part = (b: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  }
  return Buffer.concat([part(Buffer.from(type)), part(key)])
}
