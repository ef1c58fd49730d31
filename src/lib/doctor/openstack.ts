import type {HttpContext} from '../http/index.js'
import type {OpenStack} from '../openstack/index.js'
import {tokenSeesAllProjects} from '../openstack/reach.js'
import {CheckChain, CheckFailure, type CheckResult} from './check.js'
import {probeUrl} from './reachability.js'

const NO_SUCH_ID = '00000000-0000-0000-0000-000000000000'

export interface OpenStackNeeds {
  billing: boolean
  metrics: boolean
}

/** Keystone reachability, TLS, authentication, the roles and users this tool needs, and every service it calls. */
export async function checkOpenStack(os: OpenStack, ctx: HttpContext, needs: OpenStackNeeds): Promise<CheckResult[]> {
  const chain = new CheckChain('openstack')
  const ks = os.keystone
  await chain.step('keystone reachable', () => probeUrl('keystone', ks.identityRoot, ctx))
  await chain.step('keystone authentication', async () => {
    const s = await ks.scope()
    return `token for user '${s.userName}' on project '${s.projectName}' (roles: ${s.roles.join(', ') || 'none'})`
  })
  await chain.step('token sees every project', async () => {
    const s = await ks.scope()
    if (!tokenSeesAllProjects(s.roles)) {
      throw new CheckFailure(
        `the token of user '${s.userName}' has no admin role (roles: ${s.roles.join(', ') || 'none'}): other projects' objects answer 404 to it, so sync and listen delete nothing`,
        `openstack role add --user ${s.userName} --project ${s.projectName} admin`,
      )
    }
    return 'admin role: its 404s prove an object is gone'
  }, {blocking: false})
  const roles = ['admin', 'member', 'watcher', ...(needs.billing ? ['rating'] : [])]
  await chain.step('keystone roles', async () => {
    const listing = await ks.listRoles()
    const have = new Set(listing.items.map((r) => r.name.toLowerCase()))
    const missing = roles.filter((r) => !have.has(r))
    if (missing.length > 0) {
      throw new CheckFailure(`missing role${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, `create ${missing.length > 1 ? 'them' : 'it'}: ${missing.map((r) => `openstack role create ${r}`).join('; ')}`)
    }
    return `${roles.join(', ')} exist`
  }, {blocking: false})
  const users = ['admin', 'concertim', ...(needs.billing ? ['cloudkitty'] : [])]
  await chain.step('keystone users', async () => {
    const found = await Promise.all(users.map(async (u) => [u, (await ks.findUsersByName(u)).length > 0] as const))
    const missing = found.filter(([, ok]) => !ok).map(([u]) => u)
    if (missing.length > 0) {
      const hints: Record<string, string> = {
        cloudkitty: 'openstack user create cloudkitty --password-prompt && openstack role add --user cloudkitty --project admin rating',
        concertim: 'openstack user create concertim --password-prompt && openstack role add --user concertim --project admin watcher',
      }
      throw new CheckFailure(`missing user${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, missing.map((u) => hints[u] ?? `openstack user create ${u} --password-prompt`).join('; '))
    }
    return `${users.join(', ')} exist`
  }, {blocking: false})
  const services: [string, () => Promise<unknown>][] = [
    ['nova (compute)', () => os.nova.getServer(NO_SUCH_ID)],
    ['heat (orchestration)', () => os.heat.getStack({id: NO_SUCH_ID, stack_name: 'concertim-os-doctor'})],
    ['cinder (block-storage)', () => os.cinder.getVolume(NO_SUCH_ID)],
    ['neutron (network)', () => os.neutron.getNetwork(NO_SUCH_ID)],
  ]
  if (needs.metrics) services.push(['gnocchi (metric)', () => os.gnocchi.searchResources('instance', {'=': {id: NO_SUCH_ID}})])
  if (needs.billing) services.push(['cloudkitty (rating)', () => os.cloudkitty.summary({})])
  for (const [name, call] of services) {
     
    await chain.step(name, async () => {
      const type = name.slice(name.indexOf('(') + 1, -1)
      const url = await ks.endpoint(type as Parameters<typeof ks.endpoint>[0])
      await call()
      return `${url} answers with our token`
    }, {blocking: false})
  }
  if (needs.metrics) {
    await chain.step('gnocchi resource types', async () => {
      const types = ['instance', 'instance_disk', 'instance_network_interface'] as const
      const missing: string[] = []
      for (const type of types) {
        try {
          await os.gnocchi.searchResources(type, {'=': {id: NO_SUCH_ID}})
        } catch (error) {
          if ((error as {status?: number}).status !== 404) throw error
          missing.push(type)
        }
      }
      if (missing.includes('instance')) {
        throw new CheckFailure("Gnocchi has no 'instance' resource type: metrics push finds no server's measures", "check that Ceilometer publishes to this Gnocchi (gnocchi_resources.yaml) and has run 'ceilometer-upgrade'")
      }
      if (missing.length > 0) {
        throw new CheckFailure(
          `Gnocchi has no ${missing.join(' or ')} resource type: the ${missing.map((t) => (t === 'instance_disk' ? 'disk (throughput, IOPS)' : 'network')).join(' and ')} metrics are sent as not-in-gnocchi`,
          "enable Ceilometer's disk.device.* and network.* pollsters (and run 'ceilometer-upgrade' to create the types), or accept those metrics missing",
          'warn',
        )
      }
      return `${types.join(', ')} exist`
    }, {blocking: false})
  }
  return chain.results
}
