/**
 * `users create` against the simulator, in process (the library on a call ledger): one identity made
 * once, a second run writing nothing, a failure at each step leaving nothing of that run, two runs at
 * once making one set, and the dry-run guard.
 */
import {expect} from 'chai'

import {createIdentity, createPending, type IdentityClients, NameTakenError, StepFailedError} from '../../../src/lib/identity/index.js'
import {createOpenStack, KeystoneBadRequestError, KeystoneConflictError, KeystoneForbiddenError, KeystoneNotFoundError} from '../../../src/lib/openstack/index.js'
import {identityObjects, type IdentityWorld, startIdentityWorld} from './support.js'

const pw = async () => 'a-fine-password-1'

describe('users create (library, simulator)', function () {
  this.timeout(60_000)
  let w: IdentityWorld
  before(async () => {
    w = await startIdentityWorld()
  })
  after(async () => w.stop())
  afterEach(() => w.sim.faults.clear())

  const create = async (login: string, clients?: IdentityClients) => createIdentity(clients ?? w.clients().clients, {login, password: pw, team: {own: true}})

  it('alice --own-team: one Keystone user, one project, the grants, one Kill Bill account, the Concertim links; a second run writes nothing', async () => {
    w.addConcertimUser('alice', {ownTeam: true})
    const {clients, ledger} = w.clients()
    const r = await create('alice', clients)
    const o = identityObjects(w.sim, 'alice', 'alice_team')
    expect(o.users).to.have.length(1)
    expect(o.projects).to.have.length(1)
    expect(o.accounts).to.have.length(1)
    expect(o.grants).to.deep.equal(['CM_alice:admin', 'admin:admin', 'cloudkitty:rating', 'concertim:watcher'])
    expect(o.concertimUser).to.equal(o.users[0])
    expect(o.concertimTeam).to.deep.equal({billing_acct_id: o.accounts[0], project_id: o.projects[0]})
    expect(r).to.include({accountId: o.accounts[0], projectId: o.projects[0], userCreated: true, userId: o.users[0]})
    const fields = [...w.sim.killbill.customFields.values()].filter((f) => f.objectId === o.accounts[0])
    expect(fields.map((f) => [f.name, f.value])).to.deep.equal([['project_cloud_id', o.projects[0]]])
    const kUser = w.sim.world.users.get(o.users[0])
    expect(kUser).to.include({description: 'Concertim Managed User', email: 'alice@example.com', password: 'a-fine-password-1'})
    expect(w.sim.world.projects.get(o.projects[0])?.description).to.equal('Concertim Managed Project')
    expect(ledger.writes()).to.equal(10)

    const again = w.clients()
    const r2 = await create('alice', again.clients)
    expect(again.ledger.writes(), JSON.stringify(again.ledger.summary)).to.equal(0)
    expect(r2.steps.every((s) => s.state === 'exists')).to.equal(true)
    expect(identityObjects(w.sim, 'alice', 'alice_team')).to.deep.equal(o)
  })

  it('--team with --role: the user is granted the role on an existing team, which is linked on the way', async () => {
    const {user} = w.addConcertimUser('bea')
    const team = w.sim.concertim.addTeam({name: 'research'})
    w.sim.concertim.addTeamRole({role: 'member', team_id: team.id, user_id: user.id})
    await createIdentity(w.clients().clients, {login: 'bea', password: pw, role: 'admin', team: {name: 'research'}})
    const o = identityObjects(w.sim, 'bea', 'research')
    expect(o.grants).to.include('CM_bea:admin')
    expect(o.concertimTeam?.project_id).to.equal(o.projects[0])
  })

  it('adopts what the original service made (CM_ user and project, tagged account) and only links', async () => {
    const t = w.sim.cloud.teams[0]
    const cTeam = [...w.sim.concertim.teams.values()].find((x) => x.name === t.name)
    const cUser = [...w.sim.concertim.users.values()].find((u) => u.login === t.users[0].login)
    if (cTeam === undefined || cUser === undefined) throw new Error('seed lacks the team')
    // As after a migration: Concertim lost its links.
    cUser.cloud_user_id = null
    cTeam.project_id = null
    const {clients, ledger} = w.clients()
    const r = await createIdentity(clients, {login: cUser.login, role: 'admin', team: {name: t.name}})
    expect(r.steps.find((s) => s.kind === 'keystone-user')?.state).to.equal('exists')
    expect(r.steps.find((s) => s.kind === 'keystone-project')?.state).to.equal('exists')
    expect(cUser.cloud_user_id).to.equal(t.users[0].cloudUserId)
    expect(cTeam.project_id).to.equal(t.projectId)
    // The seeded account was keyed by the project but not tagged: adopted and tagged, not duplicated.
    const writes = ledger.bySystem()
    expect([writes.keystone.writes, writes.concertim.writes, writes.killbill.writes], JSON.stringify(ledger.summary)).to.deep.equal([0, 2, 1])
    expect([...w.sim.killbill.accounts.values()].filter((a) => a.externalKey === t.projectId)).to.have.length(1)
  })

  it('a name taken by a Keystone user that is not Concertim\'s is an error, never adopted, and nothing is made', async () => {
    w.addConcertimUser('mallory', {ownTeam: true})
    w.sim.world.addUser({defaultProjectId: null, description: 'hand-made', domainId: 'default', email: null, enabled: true, id: 'f'.repeat(32), name: 'CM_mallory', password: 'x'})
    const {clients, ledger} = w.clients()
    const err = await create('mallory', clients).catch((error: unknown) => error)
    expect(err).to.be.instanceOf(NameTakenError)
    expect((err as NameTakenError).exitCode).to.equal(2)
    expect((err as Error).message).to.contain("Keystone user 'CM_mallory'")
    expect(ledger.writes()).to.equal(0)
    expect(identityObjects(w.sim, 'mallory', 'mallory_team').projects).to.deep.equal([])
  })

  describe('a failure injected at each step leaves nothing of that run behind', () => {
    const roleId = (name: string) => w.sim.world.roleByName(name)?.id ?? ''
    const cases: {method: string; pattern: () => RegExp; step: string; system: 'concertim' | 'keystone' | 'killbill'}[] = [
      {method: 'POST', pattern: () => /^\/v3\/users$/, step: 'keystone-user', system: 'keystone'},
      {method: 'PATCH', pattern: () => /^\/api\/v1\/users\//, step: 'concertim-user-link', system: 'concertim'},
      {method: 'POST', pattern: () => /^\/v3\/projects$/, step: 'keystone-project', system: 'keystone'},
      {method: 'PUT', pattern: () => new RegExp(`/users/${w.sim.cloud.adminUserId}/roles/${roleId('admin')}$`), step: 'project-grant', system: 'keystone'},
      {method: 'PUT', pattern: () => new RegExp(`/roles/${roleId('watcher')}$`), step: 'project-grant', system: 'keystone'},
      {method: 'PUT', pattern: () => new RegExp(`/roles/${roleId('rating')}$`), step: 'project-grant', system: 'keystone'},
      {method: 'POST', pattern: () => /^\/1\.0\/kb\/accounts$/, step: 'killbill-account', system: 'killbill'},
      {method: 'POST', pattern: () => /\/customFields$/, step: 'killbill-tag', system: 'killbill'},
      {method: 'PATCH', pattern: () => /^\/api\/v1\/teams\//, step: 'concertim-team-link', system: 'concertim'},
      {method: 'PUT', pattern: () => new RegExp(`/users/(?!${w.sim.cloud.adminUserId})[^/]+/roles/${roleId('admin')}$`), step: 'member-role', system: 'keystone'},
    ]
    for (const [i, c] of cases.entries()) {
      it(`${c.step} (${c.system} ${c.method} #${i + 1})`, async () => {
        const login = `fail${i}`
        w.addConcertimUser(login, {ownTeam: true})
        w.sim.faults.set(c.system, {errorRate: 1, errorStatuses: [503], methods: [c.method], pathPattern: c.pattern()})
        const accountsBefore = w.sim.killbill.accounts.size
        const err = await create(login).catch((error: unknown) => error)
        w.sim.faults.clear()
        expect(err, String(err)).to.be.instanceOf(StepFailedError)
        expect((err as StepFailedError).step).to.equal(c.step)
        expect((err as Error).message).to.match(new RegExp(`^failed at ${c.step} `))
        expect((err as StepFailedError).leftBehind).to.deep.equal([])
        const o = identityObjects(w.sim, login, `${login}_team`)
        expect(o.users, 'Keystone users').to.deep.equal([])
        expect(o.projects, 'projects').to.deep.equal([])
        expect(o.concertimUser ?? null, 'Concertim user link').to.equal(null)
        expect(o.concertimTeam, 'Concertim team links').to.deep.equal({billing_acct_id: null, project_id: null})
        // Kill Bill cannot delete an account: one this run made is closed.
        expect([...w.sim.killbill.accounts.values()].slice(accountsBefore).every((a) => a.closed), 'new accounts closed').to.equal(true)
        // And the run can be made again once the cause is gone.
        await create(login)
        const after = identityObjects(w.sim, login, `${login}_team`)
        expect([after.users.length, after.projects.length, after.accounts.length]).to.deep.equal([1, 1, 1])
      })
    }
  })

  it('two runs at once for the same user make one set of objects (the loser of each race adopts)', async () => {
    w.addConcertimUser('twin', {ownTeam: true})
    const results = await Promise.allSettled([create('twin'), create('twin')])
    expect(results.map((r) => r.status), JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')))).to.deep.equal(['fulfilled', 'fulfilled'])
    const o = identityObjects(w.sim, 'twin', 'twin_team')
    expect([o.users.length, o.projects.length, o.accounts.length]).to.deep.equal([1, 1, 1])
    expect(o.concertimUser).to.equal(o.users[0])
  })

  it('dry run: the plan through the HTTP layer\'s dry-run guard, nothing written', async () => {
    w.addConcertimUser('dora', {ownTeam: true})
    const {clients, ledger} = w.clients({dryRun: true})
    const r = await createIdentity(clients, {dryRun: true, login: 'dora', password: pw, team: {own: true}})
    expect(r.dryRun).to.equal(true)
    expect(r.steps.map((s) => s.state)).to.deep.equal(['to create', 'to link', 'to create', 'to grant', 'to grant', 'to grant', 'to create', 'to tag', 'to link', 'to grant'])
    expect(ledger.writes()).to.equal(0)
    expect(identityObjects(w.sim, 'dora', 'dora_team').users).to.deep.equal([])
    // Had the plan been applied, the guard would have refused the first write.
    const err = await createIdentity(clients, {login: 'dora', password: pw, team: {own: true}}).catch((error: unknown) => error)
    expect((err as StepFailedError).cause).to.have.property('code', 'E_DRY_RUN')
  })

  describe('Keystone write calls: typed errors', () => {
    const section = (username: string, password: string, project: string) => ({auth_url: `${w.sim.endpoints.keystone}/v3`, password, project_domain_name: 'Default', project_name: project, user_domain_name: 'Default', username})

    it('409 a duplicate name, 404 an unknown role or object, 400 a rejected password, 403 for a non-admin', async () => {
      const admin = createOpenStack(section('admin', w.sim.credentials.keystone.password, 'admin')).keystone
      const user = await admin.createUser({description: 'Concertim Managed User', domain_id: 'default', name: 'typed-errors', password: 'p-12345678'})
      expect(await admin.createUser({domain_id: 'default', name: 'typed-errors', password: 'p-12345678'}).catch((error: unknown) => error)).to.be.instanceOf(KeystoneConflictError)
      const project = await admin.createProject({description: 'x', domain_id: 'default', name: 'typed-errors'})
      const missing = await admin.grantProjectRole(project.id, user.id, '0'.repeat(32)).catch((error: unknown) => error)
      expect(missing).to.be.instanceOf(KeystoneNotFoundError)
      expect((missing as Error).message).to.contain('Could not find role')
      w.sim.world.passwordPolicy = {description: 'at least 20 characters', regex: /^.{20,}$/}
      const weak = await admin.createUser({domain_id: 'default', name: 'typed-errors-2', password: 'short-pw-123'}).catch((error: unknown) => error)
      w.sim.world.passwordPolicy = undefined
      expect(weak).to.be.instanceOf(KeystoneBadRequestError)
      expect((weak as KeystoneBadRequestError).exitCode).to.equal(2)
      expect((weak as Error).message).to.contain('at least 20 characters').and.not.to.contain('short-pw-123')
      const t = w.sim.cloud.teams[0]
      const member = createOpenStack(section(`CM_${t.users[1].login}`, t.users[1].password, t.projectName)).keystone
      expect(await member.createProject({domain_id: 'default', name: 'nope'}).catch((error: unknown) => error)).to.be.instanceOf(KeystoneForbiddenError)
      expect(await admin.deleteUser(user.id)).to.equal(true)
      expect(await admin.deleteUser(user.id)).to.equal(false)
      expect(await admin.deleteProject(project.id)).to.equal(true)
    })
  })

  describe('--pending (library)', () => {
    // Its own world: the units of the tests above (e.g. mallory's taken name) would be pending too.
    let shared: IdentityWorld
    before(async () => {
      shared = w
      w = await startIdentityWorld({seed: 9})
    })
    after(async () => {
      await w.stop()
      w = shared
    })

    it('a unit that fails is rolled back alone and reported; the others are linked; a rerun finishes it', async () => {
      const made = ['pa', 'pb', 'pc'].map((login) => w.addConcertimUser(login, {ownTeam: true}))
      // Concertim refuses to link pb: its Keystone user must be rolled back, its team still made.
      w.sim.faults.set('concertim', {errorRate: 1, errorStatuses: [503], methods: ['PATCH'], pathPattern: new RegExp(`/api/v1/users/${made[1].user.id}$`)})
      let n = 0
      const passwords = async (login: string) => `generated-for-${login}-${++n}`
      const r = await createPending(w.clients().clients, {password: passwords})
      w.sim.faults.clear()
      const byName = new Map(r.units.map((u) => [`${u.kind}:${u.name}`, u]))
      expect(byName.get('user:pb')?.outcome).to.equal('failed')
      expect(byName.get('user:pb')?.error?.message).to.match(/^failed at concertim-user-link .*rolled back: Keystone user CM_pb/)
      expect(byName.get('user:pa')?.outcome).to.equal('done')
      expect(byName.get('team:pb_team')?.outcome).to.equal('done')
      expect(byName.has('membership:pb → pb_team')).to.equal(false)
      expect(r.counts.failed).to.equal(1)
      expect(identityObjects(w.sim, 'pb').users).to.deep.equal([])
      expect(identityObjects(w.sim, 'pa', 'pa_team').grants).to.include('CM_pa:admin')

      const again = await createPending(w.clients().clients, {password: passwords})
      expect(again.units.map((u) => `${u.kind}:${u.name}:${u.outcome}`).sort()).to.deep.equal(['membership:pb → pb_team:done', 'user:pb:done'])
      const o = identityObjects(w.sim, 'pb', 'pb_team')
      expect([o.users.length, o.projects.length, o.accounts.length]).to.deep.equal([1, 1, 1])
      expect(o.grants).to.include('CM_pb:admin')
    })

    it('a team whose project name is taken by a non-Concertim project fails alone (never adopted)', async () => {
      w.addConcertimUser('pd', {ownTeam: true})
      w.sim.world.addProject({description: 'hand-made', domainId: 'default', enabled: true, id: 'c'.repeat(32), name: 'CM_pd_team', tags: []})
      const r = await createPending(w.clients().clients, {password: async () => 'pw-pw-pw-1'})
      const team = r.units.find((u) => u.kind === 'team' && u.name === 'pd_team')
      expect(team?.outcome).to.equal('failed')
      expect(team?.error?.code).to.equal('E_NAME_TAKEN')
      expect(r.units.find((u) => u.kind === 'user' && u.name === 'pd')?.outcome).to.equal('done')
      expect(w.sim.world.rolesOn(identityObjects(w.sim, 'pd').users[0], 'c'.repeat(32))).to.deep.equal([])
    })
  })
})
