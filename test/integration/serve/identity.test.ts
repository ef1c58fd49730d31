/**
 * The identity routes wired to the identity library over the simulated Keystone and Kill Bill,
 * driven by the app's job runner: sign-up to a linked user and team with roles, a team made while
 * Kill Bill is down then retried (one project, one account), each route twice yields one object.
 */
import {expect} from 'chai'

import {JobCallError} from '../../../src/sim/concertim/job-runner.js'
import {type ServeWorld, startServeWorld} from './support.js'

describe('serve: identity routes over Keystone and Kill Bill', function () {
  this.timeout(60_000)
  let w: ServeWorld
  before(async () => {
    w = await startServeWorld({billing: 'killbill', identity: 'keystone', reconcileAfterAction: false})
  })
  after(async () => w?.stop())

  const projectsNamed = (name: string) => [...w.sim.world.projects.values()].filter((p) => p.name === name)
  const accountsOf = (projectId: string) => [...w.sim.killbill.accounts.values()].filter((a) => a.externalKey === projectId)

  it('sign-up: POST /user → single-user team → POST /team → POST /team_role, all linked', async () => {
    const user = w.sim.concertim.addUser({email: 'zoe@example.com', login: 'zoe', name: 'Zoe', password: 'app-pw'})
    const team = await w.runner.signUp(user, 'zoe-foreign-pw-1')
    const kUser = w.sim.world.users.get(user.cloud_user_id as string)
    expect(kUser?.name).to.equal('CM_zoe')
    expect(team.project_id).to.equal(projectsNamed('CM_zoe_team')[0]?.id)
    expect(accountsOf(team.project_id as string).map((a) => a.accountId)).to.deep.equal([team.billing_acct_id])
    expect(w.sim.world.rolesOn(kUser?.id as string, team.project_id as string).map((r) => r.name)).to.include('admin')
    // The app's retry of each: the same objects.
    const again = await w.runner.call('POST', '/user', {cloud_env: w.runner.adminCloudEnv(), email: 'zoe@example.com', name: 'Zoe', password: 'zoe-foreign-pw-1', username: 'zoe'})
    expect(again.body.user_cloud_id).to.equal(user.cloud_user_id)
    await w.runner.createTeam(team)
    await w.runner.createTeamRole(team, user, 'admin')
    expect(projectsNamed('CM_zoe_team')).to.have.length(1)
    expect(accountsOf(team.project_id as string)).to.have.length(1)
  })

  it('a team made while Kill Bill is down, retried by the app: one project, one account', async () => {
    const team = w.sim.concertim.addTeam({name: 'stormy', single_user: false})
    w.sim.faults.set('killbill', {errorRate: 1, errorStatuses: [503]})
    const failing = w.runner.createTeam(team)
    // Let two attempts fail, then bring Kill Bill back.
    const deadline = Date.now() + 20_000
    while (w.runner.calls.filter((c) => c.path === '/team' && c.status !== undefined && c.status >= 500).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    w.sim.faults.clear('killbill')
    await failing
    const failed = w.runner.calls.filter((c) => c.path === '/team' && (c.status ?? 0) >= 500)
    expect(failed.length).to.be.at.least(2)
    expect(failed.every((c) => c.status === 502 || c.status === 503)).to.equal(true)
    expect(projectsNamed('CM_stormy')).to.have.length(1)
    expect(team.project_id).to.equal(projectsNamed('CM_stormy')[0].id)
    expect(accountsOf(team.project_id as string).map((a) => a.accountId)).to.deep.equal([team.billing_acct_id])
  })

  it('roles change and go; users and teams are deleted once, the retry is a success', async () => {
    const env = w.runner.adminCloudEnv()
    const user = w.sim.concertim.addUser({email: 'yan@example.com', login: 'yan', name: 'Yan', password: 'app-pw'})
    const team = await w.runner.signUp(user, 'yan-foreign-pw-1')
    const uid = user.cloud_user_id as string
    const pid = team.project_id as string
    await w.runner.call('PATCH', '/team_role', {cloud_env: env, team_role: {current_role: 'admin', new_role: 'member', project_id: pid, user_id: uid}})
    expect(w.sim.world.rolesOn(uid, pid).map((r) => r.name)).to.include('member').and.not.include('admin')
    for (let i = 0; i < 2; i++) await w.runner.call('DELETE', '/team_role', {cloud_env: env, team_role: {project_id: pid, role: 'member', user_id: uid}})
    expect(w.sim.world.rolesOn(uid, pid).map((r) => r.name)).to.not.include('member')
    const patched = await w.runner.call('PATCH', '/user', {cloud_env: env, user_info: {cloud_user_id: uid, new_data: {email: 'yan2@example.com'}}})
    expect(patched.body.updated).to.deep.equal([['cloud_user', uid, 'email']])
    await w.runner.deleteUser(user)
    expect(w.sim.world.users.get(uid)).to.equal(undefined)
    expect((await w.runner.call('DELETE', '/user', {cloud_env: env, user_info: {cloud_user_id: uid}})).status).to.equal(201)
    await w.runner.deleteTeam(team)
    expect(w.sim.world.projects.get(pid)).to.equal(undefined)
    // Never someone else's: the admin project is not ours.
    const admin = [...w.sim.world.projects.values()].find((p) => p.name === 'admin')
    try {
      await w.runner.call('DELETE', '/team', {cloud_env: env, team_info: {project_id: admin?.id}})
      expect.fail('deleted')
    } catch (error) {
      expect((error as JobCallError).status).to.equal(409)
    }
  })
})
