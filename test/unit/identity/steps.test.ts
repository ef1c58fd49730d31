import {expect} from 'chai'

import {NameTakenError} from '../../../src/lib/identity/errors.js'
import {Journal} from '../../../src/lib/identity/journal.js'
import {DEFAULT_IDENTITY_SETTINGS, activeGrants, keystoneProjectName, keystoneUserName, loginProblem, ownTeamName} from '../../../src/lib/identity/settings.js'
import {assignmentKey, pendingSteps, planMembership, planTeam, planUser, type TeamObservation, type UserObservation} from '../../../src/lib/identity/steps.js'

const s = {...DEFAULT_IDENTITY_SETTINGS, billing: true}
const ours = {description: 'Concertim Managed User', id: 'u1', name: 'CM_alice'}

describe('identity plan (pure)', () => {
  describe('planUser', () => {
    const cases: {expected: string[]; name: string; obs: UserObservation}[] = [
      {expected: ['keystone-user:to create', 'concertim-user-link:to link'], name: 'nothing exists', obs: {concertimUser: {cloud_user_id: null, id: 'c1'}, keystoneName: 'CM_alice'}},
      {expected: ['keystone-user:exists', 'concertim-user-link:to link'], name: 'ours exists, not linked', obs: {concertimUser: {cloud_user_id: null, id: 'c1'}, found: ours, keystoneName: 'CM_alice'}},
      {expected: ['keystone-user:exists', 'concertim-user-link:exists'], name: 'ours exists and linked', obs: {concertimUser: {cloud_user_id: 'u1', id: 'c1'}, found: ours, keystoneName: 'CM_alice'}},
      {expected: ['keystone-user:exists', 'concertim-user-link:to link'], name: 'linked to another (stale) id', obs: {concertimUser: {cloud_user_id: 'gone', id: 'c1'}, found: ours, keystoneName: 'CM_alice'}},
      {expected: ['keystone-user:to create'], name: 'no Concertim user (the API)', obs: {keystoneName: 'CM_alice'}},
    ]
    for (const c of cases) {
      it(c.name, () => {
        expect(planUser(c.obs, s).map((st) => `${st.kind}:${st.state}`)).to.deep.equal(c.expected)
      })
    }
    it('a name held by a user that is not ours is an error, never a step', () => {
      expect(() => planUser({foreign: {description: 'ops', id: 'x', name: 'CM_alice'}, keystoneName: 'CM_alice'}, s)).to.throw(NameTakenError, "Keystone user 'CM_alice' (x)")
    })
  })

  describe('planTeam', () => {
    const team = {billing_acct_id: null, id: 't1', name: 'lab', project_id: null}
    const grants = [
      {roleId: 'r-admin', roleName: 'admin', userId: 'admin', userName: 'admin'},
      {roleId: 'r-watch', roleName: 'watcher', userId: 'concertim', userName: 'concertim'},
    ]
    const project = {description: 'Concertim Managed Project', id: 'p1', name: 'CM_lab'}
    const base: TeamObservation = {assignments: new Set(), grants, keystoneName: 'CM_lab', team}
    const cases: {billing?: boolean; expected: string[]; name: string; obs: TeamObservation}[] = [
      {expected: ['keystone-project:to create', 'project-grant:to grant', 'project-grant:to grant', 'killbill-account:to create', 'killbill-tag:to tag', 'concertim-team-link:to link'], name: 'nothing exists', obs: base},
      {billing: false, expected: ['keystone-project:to create', 'project-grant:to grant', 'project-grant:to grant', 'concertim-team-link:to link'], name: 'billing off: no account', obs: base},
      {
        expected: ['keystone-project:exists', 'project-grant:exists', 'project-grant:to grant', 'killbill-account:exists', 'killbill-tag:to tag', 'concertim-team-link:to link'],
        name: 'project with one grant, an untagged account',
        obs: {...base, account: {id: 'a1', tagged: false}, assignments: new Set([assignmentKey('admin', 'r-admin')]), found: project},
      },
      {
        expected: ['keystone-project:exists', 'project-grant:exists', 'project-grant:exists', 'killbill-account:exists', 'concertim-team-link:exists'],
        name: 'everything exists and is linked',
        obs: {...base, account: {id: 'a1', tagged: true}, assignments: new Set([assignmentKey('admin', 'r-admin'), assignmentKey('concertim', 'r-watch')]), found: project, team: {...team, billing_acct_id: 'a1', project_id: 'p1'}},
      },
      {
        expected: ['keystone-project:exists', 'project-grant:exists', 'project-grant:exists', 'killbill-account:exists', 'concertim-team-link:to link'],
        name: 'linked to another account',
        obs: {...base, account: {id: 'a1', tagged: true}, assignments: new Set([assignmentKey('admin', 'r-admin'), assignmentKey('concertim', 'r-watch')]), found: project, team: {...team, billing_acct_id: 'a0', project_id: 'p1'}},
      },
      {expected: ['keystone-project:to create', 'project-grant:to grant', 'project-grant:to grant', 'killbill-account:to create', 'killbill-tag:to tag'], name: 'no Concertim team (the API): no link step', obs: {...base, team: {...team, id: undefined}}},
    ]
    for (const c of cases) {
      it(c.name, () => {
        expect(planTeam(c.obs, {...s, billing: c.billing ?? true}).map((st) => `${st.kind}:${st.state}`)).to.deep.equal(c.expected)
      })
    }
    it('a name held by a project that is not ours is an error', () => {
      expect(() => planTeam({...base, foreign: {description: '', id: 'p9', name: 'CM_lab'}}, s)).to.throw(NameTakenError, 'was not made for Concertim')
    })
    it('pendingSteps keeps the writes', () => {
      expect(pendingSteps([...planTeam(base, s), planMembership({id: 'r', name: 'member'}, 'CM_lab', true)]).map((st) => st.kind)).to.not.include('member-role')
    })
  })

  describe('names and settings', () => {
    it('prefixes are configurable and may be empty', () => {
      expect([keystoneUserName(s, 'alice'), keystoneProjectName(s, 'lab'), keystoneUserName({userPrefix: ''}, 'alice'), ownTeamName('alice')]).to.deep.equal(['CM_alice', 'CM_lab', 'alice', 'alice_team'])
    })
    it('the rating grant only when billing is on', () => {
      expect(activeGrants({...s, billing: false}).map((g) => g.role)).to.deep.equal(['admin', 'watcher'])
      expect(activeGrants(s).map((g) => g.role)).to.deep.equal(['admin', 'watcher', 'rating'])
    })
    for (const [login, ok] of [['alice', true], ['a.b-c_d', true], ['', false], ['al ice', false], ['x'.repeat(81), false], ['é', false]] as const) {
      it(`login '${login.slice(0, 12)}' is ${ok ? '' : 'not '}acceptable`, () => {
        expect(loginProblem(login) === undefined).to.equal(ok)
      })
    }
  })

  describe('Journal', () => {
    it('rolls back newest first, reports what failed and what is kept', async () => {
      const order: string[] = []
      const j = new Journal()
      j.created('a', async () => order.push('a'))
      j.keep('k', 'why')
      j.created('b', async () => {
        throw new Error('nope')
      })
      j.created('c', async () => order.push('c'))
      const r = await j.rollback()
      expect(order).to.deep.equal(['c', 'a'])
      expect(r.rolledBack).to.deep.equal(['c', 'a'])
      expect(r.leftBehind).to.deep.equal(['k (why)', 'b (rollback failed: nope)'])
      expect((await j.rollback()).rolledBack).to.deep.equal([])
    })
  })
})
