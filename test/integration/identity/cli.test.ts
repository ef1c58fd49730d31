/**
 * `users create` and `users delete` as people and scripts run them: the built CLI (`npm run build`
 * first) against the simulator — exit codes of bad input, passwords never in any output, --pending,
 * the lock, and deletion with its refusals.
 */
import {expect} from 'chai'
import {readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {acquireRunLock} from '../../../src/lib/lock.js'
import {identityObjects, type IdentityWorld, startIdentityWorld} from './support.js'

const SECRET = 'Zq7-very-secret-pw-4411'

describe('users create / users delete (CLI, simulator)', function () {
  this.timeout(120_000)
  let w: IdentityWorld
  const cli = async (args: string[], o: {stdin?: string} = {}) => {
    const r = await w.cli(args, {...o, built: true})
    // oclif wraps error lines (with a ' › ' margin): the checks read the text as one line.
    return {...r, all: `${r.stdout}\n${r.stderr}`, stderr: r.stderr.replaceAll(/\s*\n\s*(›\s*)?/g, ' ')}
  }
  before(async () => {
    w = await startIdentityWorld()
  })
  after(async () => w.stop())
  afterEach(() => {
    w.sim.faults.clear()
    w.sim.world.passwordPolicy = undefined
  })

  describe('bad input: a clear message, the right exit code, nothing made', () => {
    it('an unknown login (with a suggestion)', async () => {
      w.addConcertimUser('robert')
      const r = await cli(['users', 'create', 'robret', '--password-stdin'], {stdin: SECRET})
      expect(r.code).to.equal(2)
      expect(r.stderr).to.contain("Concertim has no user 'robret'").and.to.contain("did you mean 'robert'?")
    })

    it('a team Concertim does not have', async () => {
      w.addConcertimUser('tina')
      const r = await cli(['users', 'create', 'tina', '--team', 'no-such-team', '--password-stdin'], {stdin: SECRET})
      expect(r.code).to.equal(2)
      expect(r.stderr).to.contain("Concertim has no team 'no-such-team'")
      expect(identityObjects(w.sim, 'tina').users).to.deep.equal([])
    })

    it('a name taken by a Keystone user that is not Concertim\'s', async () => {
      w.addConcertimUser('oscar', {ownTeam: true})
      w.sim.world.addUser({defaultProjectId: null, description: '', domainId: 'default', email: null, enabled: true, id: 'e'.repeat(32), name: 'CM_oscar', password: 'x'})
      const r = await cli(['users', 'create', 'oscar', '--own-team', '--password-stdin', '--json'], {stdin: SECRET})
      expect(r.code).to.equal(2)
      const out = JSON.parse(r.stdout) as {error: {code: string; hint: string; message: string}}
      expect(out.error.code).to.equal('E_NAME_TAKEN')
      expect(out.error.message).to.contain("Keystone user 'CM_oscar'")
      expect(out.error.hint).to.contain('never adopted')
      expect(identityObjects(w.sim, 'oscar', 'oscar_team').projects).to.deep.equal([])
    })

    it('an unreadable password file', async () => {
      w.addConcertimUser('pia')
      const r = await cli(['users', 'create', 'pia', '--password-file', join(w.dir, 'absent.pw')])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.contain('cannot read the password file').and.to.contain('ENOENT')
      expect(identityObjects(w.sim, 'pia').users).to.deep.equal([])
    })

    it('a password Keystone\'s policy rejects: exit 2, the policy named, the password nowhere, nothing left', async () => {
      w.addConcertimUser('quinn', {ownTeam: true})
      w.sim.world.passwordPolicy = {description: 'at least 32 characters', regex: /^.{32,}$/}
      const r = await cli(['users', 'create', 'quinn', '--own-team', '--password-stdin', '--log-level', 'trace', '--log-format', 'json'], {stdin: SECRET})
      expect(r.code).to.equal(2)
      expect(r.all).to.contain('at least 32 characters').and.to.contain('failed at keystone-user')
      expect(r.all).not.to.contain(SECRET)
      const o = identityObjects(w.sim, 'quinn', 'quinn_team')
      expect([o.users, o.projects]).to.deep.equal([[], []])
    })

    it('no password for a user that must be created, and flag mistakes, before anything is read', async () => {
      w.addConcertimUser('ruth')
      const none = await cli(['users', 'create', 'ruth'])
      expect(none.code).to.equal(2)
      expect(none.stderr).to.contain('needs a password')
      for (const args of [
        ['users', 'create'],
        ['users', 'create', 'ruth', '--pending'],
        ['users', 'create', 'ruth', '--generate-password'],
        ['users', 'create', 'ruth', '--team', 'x', '--own-team'],
        ['users', 'create', '--pending', '--password-stdin'],
        ['users', 'delete', 'ruth', '--delete-team'],
      ]) {
        const r = await cli(args)
        expect(r.code, args.join(' ')).to.equal(2)
      }
      expect(identityObjects(w.sim, 'ruth').users).to.deep.equal([])
    })
  })

  describe('passwords never appear in any output', () => {
    it('from stdin: not in trace logs, the table, --json or --dry-run', async () => {
      w.addConcertimUser('sam', {ownTeam: true})
      const dry = await cli(['users', 'create', 'sam', '--own-team', '--password-stdin', '--dry-run', '--json', '--log-level', 'trace'], {stdin: SECRET})
      expect(dry.code).to.equal(0)
      expect(dry.all).not.to.contain(SECRET)
      expect((JSON.parse(dry.stdout) as {steps: {state: string}[]}).steps[0].state).to.equal('to create')
      const run = await cli(['users', 'create', 'sam', '--own-team', '--password-stdin', '--log-level', 'trace', '--log-format', 'json'], {stdin: SECRET})
      expect(run.code, run.stderr).to.equal(0)
      expect(run.all).not.to.contain(SECRET)
      expect(run.stderr).to.contain('"password":"***"')
      const json = await cli(['users', 'create', 'sam', '--own-team', '--password-stdin', '--json', '--log-level', 'trace'], {stdin: SECRET})
      expect(json.all).not.to.contain(SECRET)
      expect(w.sim.world.userByName('default', 'CM_sam')?.password).to.equal(SECRET)
    })

    it('generated: written once to --password-out (mode 0600), never printed; the file is never overwritten', async () => {
      w.addConcertimUser('tom')
      const out = join(w.dir, 'tom.pw')
      const r = await cli(['users', 'create', 'tom', '--generate-password', '--password-out', out, '--log-level', 'trace'])
      expect(r.code, r.stderr).to.equal(0)
      const password = readFileSync(out, 'utf8').trim()
      expect(password).to.have.length(32)
      expect(statSync(out).mode & 0o777).to.equal(0o600)
      expect(r.all).not.to.contain(password)
      expect(w.sim.world.userByName('default', 'CM_tom')?.password).to.equal(password)
      w.addConcertimUser('tom2')
      const again = await cli(['users', 'create', 'tom2', '--generate-password', '--password-out', out])
      expect(again.code).to.equal(2)
      expect(again.stderr).to.contain('exists already')
      expect(readFileSync(out, 'utf8').trim()).to.equal(password)
    })

    it('a run that fails and rolls back removes the generated password file (its user is gone)', async () => {
      w.addConcertimUser('uma', {ownTeam: true})
      w.sim.faults.set('killbill', {errorRate: 1, errorStatuses: [503], methods: ['POST'], pathPattern: /^\/1\.0\/kb\/accounts$/})
      const out = join(w.dir, 'uma.pw')
      const r = await cli(['users', 'create', 'uma', '--own-team', '--generate-password', '--password-out', out])
      expect(r.code).to.equal(1)
      expect(r.stderr).to.contain('failed at killbill-account').and.to.contain('rolled back')
      expect(() => statSync(out)).to.throw()
      expect(identityObjects(w.sim, 'uma', 'uma_team').users).to.deep.equal([])
    })
  })

  it('--pending links every unlinked user and team, prints a summary; a second run writes nothing', async () => {
    for (let i = 0; i < 12; i++) w.addConcertimUser(`pend${i}`, {ownTeam: true})
    const shared = w.sim.concertim.addTeam({name: 'shared-lab'})
    const first = [...w.sim.concertim.users.values()].find((u) => u.login === 'pend0')
    if (first) w.sim.concertim.addTeamRole({role: 'member', team_id: shared.id, user_id: first.id})
    const out = join(w.dir, 'pending.pw')
    const dry = await cli(['users', 'create', '--pending', '--dry-run', '--json'])
    expect(dry.code, dry.stderr).to.equal(0)
    const plan = JSON.parse(dry.stdout) as {calls: Record<string, {writes: number}>; counts: Record<string, number>}
    expect(Object.values(plan.calls).reduce((n, s) => n + s.writes, 0)).to.equal(0)
    expect(plan.counts.planned).to.be.greaterThan(0)

    const r = await cli(['users', 'create', '--pending', '--generate-password', '--password-out', out])
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/\d+ done, 0 planned, \d+ unchanged, 0 failed/)
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    for (let i = 0; i < 12; i++) {
      const o = identityObjects(w.sim, `pend${i}`, `pend${i}_team`)
      expect([o.users.length, o.projects.length, o.accounts.length], `pend${i}`).to.deep.equal([1, 1, 1])
      expect(o.grants).to.include(`CM_pend${i}:admin`)
      expect(lines.some((l) => l.startsWith(`pend${i} `))).to.equal(true)
    }
    expect(identityObjects(w.sim, 'pend0', 'shared-lab').grants).to.include('CM_pend0:member')
    for (const line of lines) expect(r.all).not.to.contain(line.split(' ')[1])
    const again = await cli(['users', 'create', '--pending', '--json'])
    const res = JSON.parse(again.stdout) as {calls: Record<string, {writes: number}>; units: unknown[]}
    expect(again.code).to.equal(0)
    expect(res.units).to.deep.equal([])
    expect(Object.values(res.calls).reduce((n, s) => n + s.writes, 0)).to.equal(0)
  })

  it('another run holding the lock: exit 75, nothing done', async () => {
    w.addConcertimUser('vic')
    const lock = await acquireRunLock(w.dir, 'users')
    try {
      const r = await cli(['users', 'create', 'vic', '--password-stdin'], {stdin: SECRET})
      expect(r.code).to.equal(75)
    } finally {
      await lock.release()
    }
    expect(identityObjects(w.sim, 'vic').users).to.deep.equal([])
  })

  describe('users delete', () => {
    it('removes the Keystone user and (with --delete-team) the project, closes the account, clears the links', async () => {
      w.addConcertimUser('walt', {ownTeam: true})
      expect((await cli(['users', 'create', 'walt', '--own-team', '--password-stdin'], {stdin: SECRET})).code).to.equal(0)
      const made = identityObjects(w.sim, 'walt', 'walt_team')
      const dry = await cli(['users', 'delete', 'walt', '--team', 'walt_team', '--delete-team', '--dry-run', '--json'])
      expect(dry.code, dry.stderr).to.equal(0)
      expect((JSON.parse(dry.stdout) as {removals: {state: string}[]}).removals.map((x) => x.state)).to.deep.equal(['to close', 'to delete', 'to unlink', 'to delete', 'to unlink'])
      expect(identityObjects(w.sim, 'walt', 'walt_team')).to.deep.equal(made)
      const r = await cli(['users', 'delete', 'walt', '--team', 'walt_team', '--delete-team'])
      expect(r.code, r.stderr).to.equal(0)
      const o = identityObjects(w.sim, 'walt', 'walt_team')
      expect([o.users, o.projects]).to.deep.equal([[], []])
      expect(w.sim.killbill.accounts.get(made.accounts[0])?.closed).to.equal(true)
      expect(o.concertimUser).to.equal(null)
      expect(o.concertimTeam).to.deep.equal({billing_acct_id: null, project_id: null})
    })

    it('refuses (exit 2, nothing written) while the team project has servers, and the last admin of a project with servers; --force removes', async () => {
      const t = w.sim.cloud.teams.find((x) => w.sim.world.servers.partition(x.projectId).length > 0)
      if (t === undefined) throw new Error('no team with servers')
      const admin = t.users[0].login
      const refused = await cli(['users', 'delete', admin, '--team', t.name, '--delete-team'])
      expect(refused.code).to.equal(2)
      expect(refused.stderr).to.contain('server(s)').and.to.contain('--force')
      expect(w.sim.world.projects.has(t.projectId)).to.equal(true)
      const lastAdmin = await cli(['users', 'delete', admin])
      expect(lastAdmin.code).to.equal(2)
      expect(lastAdmin.stderr).to.contain('only admin')
      expect(w.sim.world.users.has(t.users[0].cloudUserId)).to.equal(true)
      const forced = await cli(['users', 'delete', admin, '--force'])
      expect(forced.code, forced.stderr).to.equal(0)
      expect(w.sim.world.users.has(t.users[0].cloudUserId)).to.equal(false)
    })

    it('never removes a Keystone user that is not Concertim\'s', async () => {
      w.sim.world.addUser({defaultProjectId: null, description: 'ops', domainId: 'default', email: null, enabled: true, id: 'd'.repeat(32), name: 'CM_ghost', password: 'x'})
      const r = await cli(['users', 'delete', 'ghost'])
      expect(r.code).to.equal(2)
      expect(r.stderr).to.contain('not made for Concertim')
      expect(w.sim.world.users.has('d'.repeat(32))).to.equal(true)
    })
  })

  it('the help has examples', async () => {
    for (const cmd of ['create', 'delete']) {
      const r = await cli(['users', cmd, '--help'])
      expect(r.stdout).to.contain('EXAMPLES')
    }
    writeFileSync(join(w.dir, 'unused'), '')
  })
})
