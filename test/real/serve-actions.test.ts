/**
 * Every OpenStack call `serve` makes, against a REAL OpenStack (opt-in: `npm run test:real`; the
 * minicloud of ../shared/minicloud, `. adminrc` first). With a user's own credentials (seed users
 * alice — member of acme — and bob — member of globex —, password = name) and with the admin's:
 * server actions and their 409s, destroy, a user acting on another project's server, key pairs,
 * limits, quotas, statistics, volume detach/destroy, network destroy with a router interface, Heat
 * suspend/resume/delete. Everything it makes is named `cos-test-serve-*` and removed at the end.
 */
import {expect} from 'chai'

import {projectLimits, projectQuotas, cloudStats} from '../../src/lib/actions/capacity.js'
import {keystoneAuthFromCloudEnv} from '../../src/lib/actions/cloud-env.js'
import {ActionRefused} from '../../src/lib/actions/errors.js'
import {createKeyPair, deleteKeyPair, listKeyPairs} from '../../src/lib/actions/key-pairs.js'
import {type CloudClients, CloudSessions} from '../../src/lib/actions/sessions.js'
import {type AdminLookup, performStatusChange, statusChangeOf} from '../../src/lib/actions/status-change.js'
import {errorReply} from '../../src/lib/api/errors.js'
import {HttpError} from '../../src/lib/http/index.js'
import {createOpenStack, openStackOptionsFromConfig, type OpenStack} from '../../src/lib/openstack/index.js'
import {sectionFromEnv} from './os-env.js'

const env = process.env
const PREFIX = 'cos-test-serve'
const findings: string[] = []

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 1000))
  }
}

async function refusal(p: Promise<unknown>): Promise<{error: unknown; status: number}> {
  try {
    await p
  } catch (error) {
    return {error, status: errorReply(error).status}
  }
  throw new Error('expected a refusal')
}

describe('REAL OpenStack: the calls serve makes (src/lib/actions)', function () {
  this.timeout(300_000)
  let admin: OpenStack
  let sessions: CloudSessions
  let alice: CloudClients
  let bob: CloudClients
  let acme: string
  let globex: string
  let lookup: AdminLookup
  const made = {keypairs: [] as string[], networks: [] as string[], routers: [] as string[], servers: [] as string[], stacks: [] as {id: string; name: string}[], volumes: [] as string[]}

  before(async function () {
    // Needs a real cloud: the OS_* variables of an admin (the minicloud's adminrc).
    if (!env.OS_AUTH_URL) {
      console.warn('\n  *** SKIPPED: the real serve-actions suite needs the OS_* variables of an admin (e.g. `. /work/shared/minicloud/adminrc`).\n')
      this.skip()
    }
    admin = createOpenStack(sectionFromEnv())
    const projects = (await admin.keystone.listProjects()).items
    acme = projects.find((p) => p.name === 'acme')?.id ?? ''
    globex = projects.find((p) => p.name === 'globex')?.id ?? ''
    // Acting as one project's user on another's server needs the minicloud's seeded projects.
    if (acme === '' || globex === '') {
      console.warn('\n  *** SKIPPED: the projects acme and globex (seeded by the minicloud\'s seed.sh) are not in this cloud.\n')
      this.skip()
    }
    sessions = new CloudSessions({ctx: {}, max: 10, options: openStackOptionsFromConfig(sectionFromEnv())})
    const userEnv = (name: string, projectId: string) => ({auth_url: env.OS_AUTH_URL, password: name, project_id: projectId, user_domain_name: 'Default', username: name})
    alice = sessions.clients(keystoneAuthFromCloudEnv(userEnv('alice', acme)))
    bob = sessions.clients(keystoneAuthFromCloudEnv(userEnv('bob', globex)))
    lookup = {
      async exists(type, id) {
        if (type === 'instances') return (await admin.nova.getServer(id)) !== null
        if (type === 'volumes') return (await admin.cinder.getVolume(id)) !== null
        if (type === 'networks') return (await admin.neutron.getNetwork(id)) !== null
        const s = await admin.heat.findStack(id)
        return s !== null && s.stack_status !== 'DELETE_COMPLETE'
      },
    }
  })

  after(async () => {
    if (admin === undefined) return
    const quiet = async (p: Promise<unknown>) => p.catch(() => undefined)
    for (const id of made.servers) await quiet(admin.nova.deleteServer(id))
    for (const id of made.volumes) await quiet(admin.cinder.deleteVolume(id, {force: true}))
    for (const s of made.stacks) await quiet(admin.heat.deleteStack({id: s.id, stack_name: s.name}))
    for (const name of made.keypairs) await quiet(alice.nova.deleteKeyPair(name))
    for (const id of made.routers) await quiet(admin.keystone.request('network', {method: 'DELETE', url: `v2.0/routers/${id}`}))
    for (const id of made.networks) {
      for (const port of await admin.neutron.listPorts({networkId: id}).catch(() => [])) await quiet(admin.neutron.deletePort(port.id))
      await quiet(admin.neutron.deleteNetwork(id))
    }
    if (findings.length > 0) console.log(`\n  findings:\n${findings.map((f) => `    - ${f}`).join('\n')}`)
  })

  const serverStatus = async (c: CloudClients, id: string) => (await c.nova.getServer(id))?.status

  it('server actions with the user\'s own credentials; the retry of each is "already"; another project\'s user is refused', async () => {
    const flavor = (await admin.nova.listFlavors()).sort((a, b) => a.ram - b.ram)[0]
    const seeded = (await admin.nova.listServers({projectId: acme})).servers[0]
    const image = {id: (seeded.image as {id: string}).id}
    const net = (await alice.neutron.listNetworks()).find((n) => n.name === 'acme-net') ?? (await alice.neutron.listNetworks())[0]
    const res = await alice.keystone.request<{server: {id: string}}>('compute', {
      body: {server: {flavorRef: flavor.id, imageRef: image.id, name: `${PREFIX}-vm`, networks: [{uuid: net.id}]}},
      method: 'POST',
      url: 'servers',
    })
    const id = res.data.server.id
    made.servers.push(id)
    await until('the server to be ACTIVE', async () => ((await serverStatus(alice, id)) === 'ACTIVE' ? true : undefined), 120_000)

    const off = await performStatusChange(statusChangeOf('instances', 'off'), id, alice, lookup)
    expect(off.submitted).to.equal(true)
    expect(off.requestIds[0]).to.match(/^req-/)
    await until('SHUTOFF', async () => ((await serverStatus(alice, id)) === 'SHUTOFF' ? true : undefined))
    expect(await performStatusChange(statusChangeOf('instances', 'off'), id, alice, lookup)).to.deep.include({already: 'done', submitted: false})
    // A state that does not allow it: Nova's 409, passed on.
    const suspendStopped = await refusal(performStatusChange(statusChangeOf('instances', 'suspend'), id, alice, lookup))
    expect(suspendStopped.status).to.equal(409)
    findings.push(`suspend of a stopped server: ${(suspendStopped.error as HttpError).serverMessage ?? ''}`)

    // bob (member of globex) on alice's server.
    for (const action of ['on', 'destroy']) {
      const r = await refusal(performStatusChange(statusChangeOf('instances', action), id, bob, lookup))
      findings.push(`another project's user, ${action}: HTTP ${r.status} (${(r.error as Error).message.slice(0, 120)})`)
      expect([403, 404], action).to.include(r.status)
    }
    expect(await serverStatus(alice, id)).to.equal('SHUTOFF')

    await performStatusChange(statusChangeOf('instances', 'on'), id, alice, lookup)
    await until('ACTIVE', async () => ((await serverStatus(alice, id)) === 'ACTIVE' ? true : undefined))
    await performStatusChange(statusChangeOf('instances', 'suspend'), id, alice, lookup)
    await until('SUSPENDED', async () => ((await serverStatus(alice, id)) === 'SUSPENDED' ? true : undefined))
    await performStatusChange(statusChangeOf('instances', 'resume'), id, alice, lookup)
    await until('ACTIVE again', async () => ((await serverStatus(alice, id)) === 'ACTIVE' ? true : undefined))

    expect((await performStatusChange(statusChangeOf('instances', 'destroy'), id, alice, lookup)).submitted).to.equal(true)
    await until('the server to be gone', async () => ((await admin.nova.getServer(id)) === null ? true : undefined), 120_000)
    expect(await performStatusChange(statusChangeOf('instances', 'destroy'), id, alice, lookup)).to.deep.include({already: 'gone'})
  })

  it('key pairs are the user\'s own: generated, imported, listed, deleted; each twice is one', async () => {
    const gen = `${PREFIX}-gen`
    const imp = `${PREFIX}-imp`
    made.keypairs.push(gen, imp)
    const made1 = await createKeyPair(alice.nova, {keyType: 'ssh', name: gen})
    expect(made1.keyPair.private_key).to.match(/PRIVATE KEY/)
    const twice = await refusal(createKeyPair(alice.nova, {keyType: 'ssh', name: gen}))
    expect(twice.error).to.be.instanceOf(ActionRefused)
    expect(twice.status).to.equal(409)
    const pub = made1.keyPair.public_key
    await deleteKeyPair(alice.nova, gen)
    const imported = await createKeyPair(alice.nova, {keyType: 'ssh', name: imp, publicKey: pub})
    const again = await createKeyPair(alice.nova, {keyType: 'ssh', name: imp, publicKey: pub})
    expect(again).to.deep.include({existed: true})
    expect(again.keyPair.fingerprint).to.equal(imported.keyPair.fingerprint)
    expect((await listKeyPairs(alice.nova)).map((k) => k.name)).to.include(imp)
    expect((await listKeyPairs(bob.nova)).map((k) => k.name)).to.not.include(imp)
    expect(await deleteKeyPair(alice.nova, imp)).to.deep.equal({existed: true})
    expect(await deleteKeyPair(alice.nova, imp)).to.deep.equal({existed: false})
  })

  it('limits with the user\'s credentials; quotas and statistics with the admin\'s (and refused to a member)', async () => {
    const limits = await projectLimits(alice)
    for (const k of ['maxTotalCores', 'maxTotalInstances', 'maxTotalRAMSize', 'totalCoresUsed', 'totalInstancesUsed', 'totalRAMUsed', 'maxTotalVolumes', 'maxTotalVolumeGigabytes', 'totalVolumesUsed', 'totalGigabytesUsed']) {
      expect(limits, k).to.have.property(k)
    }
    const quotas = await projectQuotas(admin, acme)
    expect(quotas).to.include.keys('cores', 'instances', 'ram', 'volumes', 'gigabytes', 'network', 'port')
    const stats = cloudStats(await admin.nova.hypervisorStatistics())
    expect(stats.total_vcpus).to.be.greaterThan(0)
    const memberStats = await refusal(alice.nova.hypervisorStatistics())
    findings.push(`hypervisor statistics for a member: HTTP ${memberStats.status}`)
    expect(memberStats.status).to.equal(403)
  })

  it('volumes: detach of a free volume is "already", destroy by its owner, the retry is "gone"', async () => {
    const res = await alice.keystone.request<{volume: {id: string}}>('block-storage', {body: {volume: {name: `${PREFIX}-vol`, size: 1}}, method: 'POST', url: 'volumes'})
    const id = res.data.volume.id
    made.volumes.push(id)
    await until('the volume to be available', async () => ((await alice.cinder.getVolume(id))?.status === 'available' ? true : undefined))
    expect(await performStatusChange(statusChangeOf('volumes', 'detach'), id, alice, lookup)).to.deep.include({already: 'done'})
    const other = await refusal(performStatusChange(statusChangeOf('volumes', 'destroy'), id, bob, lookup))
    findings.push(`another project's user destroying a volume: HTTP ${other.status}`)
    expect([403, 404]).to.include(other.status)
    const destroyed = await performStatusChange(statusChangeOf('volumes', 'destroy'), id, alice, lookup)
    expect(destroyed.steps[0]).to.match(/^delete volume/)
    await until('the volume to be gone', async () => ((await admin.cinder.getVolume(id)) === null ? true : undefined))
    expect(await performStatusChange(statusChangeOf('volumes', 'destroy'), id, alice, lookup)).to.deep.include({already: 'gone'})
  })

  it('networks: router interface removed, ports deleted, then the network', async () => {
    const post = async <T>(url: string, body: unknown) => (await alice.keystone.request<T>('network', {body, method: 'POST', url})).data
    const {network} = await post<{network: {id: string}}>('v2.0/networks', {network: {name: `${PREFIX}-net`}})
    made.networks.push(network.id)
    const {subnet} = await post<{subnet: {id: string}}>('v2.0/subnets', {subnet: {cidr: '10.250.0.0/24', ip_version: 4, name: `${PREFIX}-subnet`, network_id: network.id}})
    // Routers need Neutron's L3 service plugin, which this cloud may not have (the minicloud has not).
    const router = await post<{router: {id: string}}>('v2.0/routers', {router: {name: `${PREFIX}-router`}}).then((r) => r.router, (error: unknown) => {
      findings.push(`no routers here (${(error as Error).message.slice(0, 90)}): router interfaces not exercised`)
      return undefined
    })
    if (router !== undefined) {
      made.routers.push(router.id)
      await alice.keystone.request('network', {body: {subnet_id: subnet.id}, method: 'PUT', url: `v2.0/routers/${router.id}/add_router_interface`})
    }
    await post('v2.0/ports', {port: {name: `${PREFIX}-port`, network_id: network.id}})
    const out = await performStatusChange(statusChangeOf('networks', 'destroy'), network.id, alice, lookup)
    findings.push(`network destroy steps: ${out.steps.map((s) => s.split(' ').slice(0, 2).join(' ')).join(', ')}`)
    if (router !== undefined) expect(out.steps.some((s) => s.startsWith('remove router'))).to.equal(true)
    expect(out.steps.some((s) => s.startsWith('delete port'))).to.equal(true)
    expect(out.steps.at(-1)).to.match(/^delete network/)
    expect(await admin.neutron.getNetwork(network.id)).to.equal(null)
    expect(await performStatusChange(statusChangeOf('networks', 'destroy'), network.id, alice, lookup)).to.deep.include({already: 'gone'})
  })

  it('racks: Heat suspend, resume and delete of the user\'s stack', async () => {
    const template = {heat_template_version: '2018-08-31', resources: {nothing: {type: 'OS::Heat::None'}}}
    const name = `${PREFIX}-stack`
    const res = await alice.keystone.request<{stack: {id: string}}>('orchestration', {body: {stack_name: name, template}, method: 'POST', url: 'stacks'})
    const id = res.data.stack.id
    made.stacks.push({id, name})
    const status = async () => (await alice.heat.findStack(id))?.stack_status
    await until('CREATE_COMPLETE', async () => ((await status()) === 'CREATE_COMPLETE' ? true : undefined))
    expect((await performStatusChange(statusChangeOf('racks', 'suspend'), id, alice, lookup)).submitted).to.equal(true)
    await until('SUSPEND_COMPLETE', async () => ((await status()) === 'SUSPEND_COMPLETE' ? true : undefined))
    expect(await performStatusChange(statusChangeOf('racks', 'suspend'), id, alice, lookup)).to.deep.include({already: 'done'})
    const other = await refusal(performStatusChange(statusChangeOf('racks', 'resume'), id, bob, lookup))
    findings.push(`another project's user resuming a stack: HTTP ${other.status}`)
    expect(other.status).to.equal(404)
    await performStatusChange(statusChangeOf('racks', 'resume'), id, alice, lookup)
    await until('RESUME_COMPLETE', async () => ((await status()) === 'RESUME_COMPLETE' ? true : undefined))
    await performStatusChange(statusChangeOf('racks', 'destroy'), id, alice, lookup)
    await until('the stack to be gone', async () => {
      const s = await admin.heat.findStack(id)
      return s === null || s.stack_status === 'DELETE_COMPLETE' ? true : undefined
    })
    expect(await performStatusChange(statusChangeOf('racks', 'destroy'), id, alice, lookup)).to.deep.include({already: 'gone'})
  })
})
