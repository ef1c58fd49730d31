/**
 * Keystone identity writes against a REAL OpenStack (opt-in: `npm run test:real`; the usual OS_*
 * variables, e.g. `. /work/shared/minicloud/adminrc`). It creates only `cos-test-…` users and
 * projects and deletes them again. With RECORD=1 it also writes the raw answers of the write
 * sequence to test/fixtures/recorded/keystone-writes.json, for the simulator's conformance test.
 */
import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {writeFileSync} from 'node:fs'

import {CallLedger} from '../../src/lib/http/index.js'
import {createIdentity, DEFAULT_IDENTITY_SETTINGS, deleteIdentity, identityClients, ensureCloudTeam, ensureCloudUser, grantTeamRole, type IdentitySettings} from '../../src/lib/identity/index.js'
import {createConcertim} from '../../src/lib/concertim/index.js'
import {createKillBill} from '../../src/lib/killbill/index.js'
import {startSimulator} from '../../src/sim/index.js'
import {createOpenStack, KeystoneConflictError, KeystoneNotFoundError, type OpenStack} from '../../src/lib/openstack/index.js'
import {keystoneWriteSequence, normaliseWrites} from '../support/keystone-writes.js'
import {sectionFromEnv} from './os-env.js'

const env = process.env
const run = randomBytes(3).toString('hex')
const prefix = `cos-test-${run}-`

describe('REAL OpenStack: Keystone identity writes (src/lib/openstack/keystone.ts, src/lib/identity)', function () {
  this.timeout(120_000)
  let os: OpenStack
  const ledger = new CallLedger()
  const made: {projects: string[]; users: string[]} = {projects: [], users: []}

  before(function () {
    if (!env.OS_AUTH_URL) {
      console.warn('\n  *** SKIPPED: needs the OS_* variables of an admin (e.g. `. /work/shared/minicloud/adminrc`).\n')
      this.skip()
    }
    os = createOpenStack(sectionFromEnv(), {ledger})
  })

  after(async () => {
    if (os === undefined) return
    for (const id of made.users) await os.keystone.deleteUser(id).catch(() => undefined)
    for (const id of made.projects) await os.keystone.deleteProject(id).catch(() => undefined)
  })

  it('creates a user and a project, finds them again, 409 on a duplicate name, grants/checks/revokes a role, deletes (404 after)', async () => {
    const k = os.keystone
    const user = await k.createUser({description: 'Concertim Managed User', domain_id: 'default', email: 'cos-test@example.com', name: `${prefix}alice`, password: 'cos-test-Password-1'})
    made.users.push(user.id)
    expect(user).to.include({description: 'Concertim Managed User', domain_id: 'default', name: `${prefix}alice`})
    expect(JSON.stringify(user)).not.to.contain('cos-test-Password-1')
    const project = await k.createProject({description: 'Concertim Managed Project', domain_id: 'default', name: `${prefix}team`})
    made.projects.push(project.id)
    expect((await k.findUsersByName(`${prefix}alice`, 'default')).map((u) => u.id)).to.deep.equal([user.id])
    expect((await k.findProjectsByName(`${prefix}team`, 'default')).map((p) => p.id)).to.deep.equal([project.id])
    expect((await k.getUser(user.id))?.name).to.equal(`${prefix}alice`)
    const dup = await k.createUser({domain_id: 'default', name: `${prefix}alice`, password: 'cos-test-Password-1'}).catch((error: unknown) => error)
    expect(dup).to.be.instanceOf(KeystoneConflictError)
    expect((dup as Error).message).not.to.contain('cos-test-Password-1')
    expect(await k.createProject({domain_id: 'default', name: `${prefix}team`}).catch((error: unknown) => error)).to.be.instanceOf(KeystoneConflictError)
    const member = (await k.listRoles({name: 'member'})).items[0]
    expect(await k.checkProjectRole(project.id, user.id, member.id)).to.equal(false)
    await k.grantProjectRole(project.id, user.id, member.id)
    await k.grantProjectRole(project.id, user.id, member.id)
    expect(await k.checkProjectRole(project.id, user.id, member.id)).to.equal(true)
    const byUser = await k.listRoleAssignments({projectId: project.id, userId: user.id})
    expect(byUser.map((a) => a.role.id)).to.deep.equal([member.id])
    expect(await k.grantProjectRole(project.id, user.id, '0000000000000000000000000000beef').catch((error: unknown) => error)).to.be.instanceOf(KeystoneNotFoundError)
    expect(await k.revokeProjectRole(project.id, user.id, member.id)).to.equal(true)
    expect(await k.revokeProjectRole(project.id, user.id, member.id)).to.equal(false)
    expect(await k.deleteUser(user.id)).to.equal(true)
    expect(await k.deleteUser(user.id)).to.equal(false)
    expect(await k.getUser(user.id)).to.equal(null)
    expect(await k.deleteProject(project.id)).to.equal(true)
    expect(await k.getProject(project.id)).to.equal(null)
  })

  it('the identity functions: a user and a team made once, the same again adopted with no write, then removed', async () => {
    const settings: IdentitySettings = {
      billing: false,
      domainId: 'default',
      grants: [{billingOnly: false, role: 'admin', user: env.OS_USERNAME ?? 'admin', userDomainId: 'default'}],
      projectDescription: 'Concertim Managed Project',
      projectPrefix: prefix,
      userDescription: 'Concertim Managed User',
      userPrefix: prefix,
    }
    const c = identityClients({keystone: os.keystone, settings})
    const u = await ensureCloudUser(c, {email: 'cos-test@example.com', login: 'bob', password: 'cos-test-Password-2'})
    if (u.userId) made.users.push(u.userId)
    const t = await ensureCloudTeam(c, {name: 'lab'})
    if (t.projectId) made.projects.push(t.projectId)
    await grantTeamRole(c, {projectId: t.projectId as string, role: 'member', userId: u.userId as string})
    const before = ledger.writes('keystone')
    const c2 = identityClients({keystone: os.keystone, settings})
    const u2 = await ensureCloudUser(c2, {login: 'bob'})
    const t2 = await ensureCloudTeam(c2, {name: 'lab'})
    const g2 = await grantTeamRole(c2, {projectId: t.projectId as string, role: 'member', userId: u.userId as string})
    expect([u2.userId, t2.projectId]).to.deep.equal([u.userId, t.projectId])
    expect([...u2.steps, ...t2.steps, ...g2.steps].every((s) => s.state === 'exists')).to.equal(true)
    expect(ledger.writes('keystone')).to.equal(before)
  })

  it('users create alice --own-team end to end: real Keystone, simulated Concertim and Kill Bill; again with no Keystone write; then users delete --delete-team', async () => {
    const sim = await startSimulator({preset: 'empty', seed: 2})
    try {
      const login = `${run}-alice`
      const user = sim.concertim.addUser({email: `${login}@example.com`, login, name: login, password: 'x'})
      const team = sim.concertim.addTeam({name: `${login}_team`, single_user: true})
      sim.concertim.addTeamRole({role: 'admin', team_id: team.id, user_id: user.id})
      const cfg = sim.config()
      // The defaults (the original's grants and descriptions), billing on, names marked as the test's.
      const settings: IdentitySettings = {...DEFAULT_IDENTITY_SETTINGS, billing: true, projectPrefix: 'cos-test-CM_', userPrefix: 'cos-test-CM_'}
      const clients = () => identityClients({concertim: createConcertim(cfg.concertim, {ledger}).api, keystone: os.keystone, killbill: createKillBill(cfg.killbill, {ledger}).client, settings})
      const r = await createIdentity(clients(), {login, password: async () => 'cos-test-Password-3', team: {own: true}})
      if (r.userId) made.users.push(r.userId)
      if (r.projectId) made.projects.push(r.projectId)
      const real = await os.keystone.getUser(r.userId as string)
      expect(real).to.include({description: 'Concertim Managed User', name: `cos-test-CM_${login}`})
      const assignments = await os.keystone.listRoleAssignments({projectId: r.projectId})
      const roles = await os.keystone.listRoles()
      const roleName = new Map(roles.items.map((x) => [x.id, x.name]))
      expect(assignments.map((a) => roleName.get(a.role.id)).sort()).to.deep.equal(['admin', 'admin', 'rating', 'watcher'])
      expect(user.cloud_user_id).to.equal(r.userId)
      expect(team.project_id).to.equal(r.projectId)
      expect(team.billing_acct_id).to.equal(r.accountId)

      const before = ledger.writes('keystone')
      const again = await createIdentity(clients(), {login, team: {own: true}})
      expect(again.steps.every((st) => st.state === 'exists')).to.equal(true)
      expect(ledger.writes('keystone')).to.equal(before)

      const removed = await deleteIdentity(clients(), os, {deleteTeam: true, login, team: team.name})
      expect(removed.removals.map((x) => x.state)).to.deep.equal(['closed', 'deleted', 'unlinked', 'deleted', 'unlinked'])
      expect(await os.keystone.getUser(r.userId as string)).to.equal(null)
      expect(await os.keystone.getProject(r.projectId as string)).to.equal(null)
    } finally {
      await sim.stop()
    }
  })

  it('the raw write sequence (recorded for the simulator with RECORD=1)', async () => {
    const token = (await os.keystone.token()).id
    const base = os.keystone.identityRoot
    const member = (await os.keystone.listRoles({name: 'member'})).items[0]
    const answers = await keystoneWriteSequence({base, prefix: `${prefix}seq-`, roleId: member.id, token})
    expect(answers['create-user'].status).to.equal(201)
    expect(answers['create-user-duplicate'].status).to.equal(409)
    expect(answers['delete-user-again'].status).to.equal(404)
    if (env.RECORD === '1') {
      const path = new URL('../fixtures/recorded/keystone-writes.json', import.meta.url)
      writeFileSync(path, `${JSON.stringify({answers: normaliseWrites(answers, {base, prefix: `${prefix}seq-`}), recordedFrom: 'minicloud (OpenStack Zed, Debian bookworm packages)'}, null, 2)}\n`)
    }
  })
})
