/** How the real CLI reports configuration problems: once, naming where the value came from. */
import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCli} from '../../support/cli.js'

function writeConfig(extra = 'http:\n  retries: 0\n'): string {
  const dir = mkdtempSync(join(tmpdir(), 'cos-config-errors-'))
  const path = join(dir, 'config.yaml')
  writeFileSync(
    path,
    `openstack:
  auth_url: http://127.0.0.1:1/v3
  username: admin
  password: Os-Pa55-cfg-err
  user_domain_name: Default
  project_name: admin
  project_domain_name: Default
concertim:
  concertim_url: http://127.0.0.1:1
  concertim_username: admin
  concertim_password: Ct-Pa55-cfg-err
store:
  path: ${join(dir, 'view.json')}
${extra}`,
  )
  return path
}

const count = (text: string, what: string) => text.split(what).length - 1

describe('configuration errors on the command line (real process)', function () {
  this.timeout(60_000)

  it('prints the example of a configuration error once', async () => {
    // As installed (bin/run.js: `npm run build` first), where the error is rendered for people.
    const run = await runCli(['view', 'dump', '--config', writeConfig('sync:\n  max_deletes: lots\n')], {built: true})
    expect(run.code, run.stderr).to.equal(2)
    expect(run.stderr).to.contain("configuration key 'sync.max_deletes'")
    expect(count(run.stderr, 'max_deletes: 50'), run.stderr).to.equal(1)
  })

  it('a bad value from the environment names the variable and the key', async () => {
    const run = await runCli(['view', 'dump', '--config', writeConfig()], {env: {CONCERTIM_OS_HTTP_TIMEOUT_MS: 'abc'}})
    expect(run.code, run.stderr).to.equal(2)
    expect(run.stderr).to.contain("'http.timeout_ms'").and.contain('CONCERTIM_OS_HTTP_TIMEOUT_MS')
  })

  it('a misspelt variable is a warning with a "did you mean", as a misspelt key of the file is', async () => {
    const run = await runCli(['view', 'dump', '--config', writeConfig('http:\n  retries: 0\n  deadline: 5\n'), '--format', 'json'], {env: {CONCERTIM_OS_HTTP_TIMEOUT: '5'}})
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stderr).to.contain('CONCERTIM_OS_HTTP_TIMEOUT is ignored').and.contain('did you mean CONCERTIM_OS_HTTP_TIMEOUT_MS?')
    expect(run.stderr).to.contain("unknown configuration key 'http.deadline' is ignored (did you mean 'deadline_ms'?)")
  })
})
