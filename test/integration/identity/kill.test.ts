/**
 * `kill -9` at every write: the built CLI (`npm run build` first) runs `users create LOGIN
 * --own-team` against the simulator, which kills it the moment its Nth write has landed (before the
 * answer is sent); a second run (once the killed run's lock is stale) then ends in one set of objects — never a second Keystone user,
 * project or Kill Bill account — for every N.
 */
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {SimRequest} from '../../../src/sim/http-app.js'
import {runCli} from '../../support/cli.js'
import {identityObjects, type IdentityWorld, startIdentityWorld} from './support.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
/** POSTs that write nothing (logging in). */
const isWrite = (r: SimRequest) => !['GET', 'HEAD'].includes(r.method) && r.path !== '/v3/auth/tokens' && r.path !== '/users/sign_in.json'

describe('users create killed at every write, then run again (CLI, simulator)', function () {
  this.timeout(300_000)
  let w: IdentityWorld
  let passwordFile: string
  before(async () => {
    w = await startIdentityWorld()
    passwordFile = join(w.dir, 'pw')
    writeFileSync(passwordFile, 'kill-test-password-1\n')
  })
  after(async () => w.stop())

  /** Run the CLI; the simulator kills it once `killAt` writes have landed. Resolves with how many landed. */
  const runKilledAt = async (login: string, killAt: number): Promise<{code: null | number; signal: null | string; writes: number}> => {
    let writes = 0
    const child = spawn(process.execPath, ['bin/run.js', 'users', 'create', login, '--own-team', '--password-file', passwordFile, '--config', w.configPath], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: 'ignore'})
    const exited = new Promise<{code: null | number; signal: null | string}>((resolve) => {
      child.on('exit', (code, signal) => resolve({code, signal}))
    })
    const hook = async (r: SimRequest) => {
      if (!isWrite(r)) return
      writes++
      if (writes === killAt) {
        child.kill('SIGKILL')
        await exited
      }
    }
    for (const app of [w.sim.apps.keystone, w.sim.apps.killbill, w.sim.apps.concertim]) app.onHandled = hook
    try {
      return {...(await exited), writes}
    } finally {
      for (const app of [w.sim.apps.keystone, w.sim.apps.killbill, w.sim.apps.concertim]) app.onHandled = undefined
    }
  }

  it('an uninterrupted run makes 10 writes (the kill points below)', async () => {
    w.addConcertimUser('whole', {ownTeam: true})
    const r = await runKilledAt('whole', Number.POSITIVE_INFINITY)
    expect(r).to.deep.equal({code: 0, signal: null, writes: 10})
  })

  for (let n = 1; n <= 10; n++) {
    it(`killed after write ${n}: the next run completes with one user, one project, one open account`, async () => {
      const login = `kill${n}`
      w.addConcertimUser(login, {ownTeam: true})
      const killed = await runKilledAt(login, n)
      expect(killed.signal).to.equal('SIGKILL')
      // The killed run's lock stays until it goes stale (30 s without renewal): age it rather than wait.
      const lock = join(w.dir, 'users.lock')
      if (existsSync(lock)) utimesSync(lock, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000))
      const rerun = await runCli(['users', 'create', login, '--own-team', '--password-file', passwordFile, '--config', w.configPath], {built: true})
      expect(rerun.code, rerun.stderr).to.equal(0)
      const o = identityObjects(w.sim, login, `${login}_team`)
      expect([o.users.length, o.projects.length, o.accounts.length, o.closedAccounts.length]).to.deep.equal([1, 1, 1, 0])
      expect(o.grants).to.deep.equal([`CM_${login}:admin`, 'admin:admin', 'cloudkitty:rating', 'concertim:watcher'])
      expect(o.concertimUser).to.equal(o.users[0])
      expect(o.concertimTeam).to.deep.equal({billing_acct_id: o.accounts[0], project_id: o.projects[0]})
      const tags = [...w.sim.killbill.customFields.values()].filter((f) => f.objectId === o.accounts[0] && f.name === 'project_cloud_id')
      expect(tags.map((f) => f.value)).to.deep.equal([o.projects[0]])
    })
  }
})
