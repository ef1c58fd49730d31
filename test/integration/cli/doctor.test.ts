import {expect} from 'chai'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCli} from '../../support/cli.js'
import {squeeze, tablesIn} from '../../support/table.js'
import {json, LocalServer} from '../../support/local-server.js'

const OS_PASSWORD = 'Os-Pa55word-7f3e'
const CT_PASSWORD = 'Ct-Pa55word-91ab'
const TOKEN = 'gAAAAA-token-5ecret-c0ffee'

function writeConfig(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cos-doctor-'))
  const path = join(dir, 'config.yaml')
  writeFileSync(path, text)
  return path
}

function config(keystone: string, concertim: string, extra = ''): string {
  return `log_level: info
openstack:
  auth_url: ${keystone}/v3
  username: admin
  password: ${OS_PASSWORD}
  user_domain_name: Default
  project_name: admin
  project_domain_name: Default
concertim:
  concertim_url: ${concertim}
  concertim_username: admin
  concertim_password: ${CT_PASSWORD}
http:
  retries: 1
  retry_base_ms: 10
${extra}`
}

interface Report {
  checks: {check: string; detail: string; hint?: string; outcome: string; system: string}[]
  failed: number
  ok: boolean
}

describe('concertim-os doctor (real process)', function () {
  this.timeout(60_000)

  it('a bad config file: exit 2, naming the key (text and --json)', async () => {
    const path = writeConfig(config('keystone-without-scheme', 'http://127.0.0.1:1').replace('keystone-without-scheme/v3', 'keystone'))
    const text = await runCli(['doctor', '--config', path])
    expect(text.code).to.equal(2)
    expect(text.stderr).to.contain("configuration key 'openstack.auth_url': must be a URL")
    const asJson = await runCli(['doctor', '--config', path, '--json'])
    expect(asJson.code).to.equal(2)
    const body = JSON.parse(asJson.stdout) as {error: {code: string; exitCode: number; message: string}}
    expect(body.error).to.include({code: 'E_CONFIG', exitCode: 2})
    expect(body.error.message).to.contain('openstack.auth_url')
  })

  it('a missing config file: exit 2 saying where it looked', async () => {
    const run = await runCli(['doctor', '--config', '/nonexistent/concertim-os.yaml'])
    expect(run.code).to.equal(2)
    expect(run.stderr).to.contain('/nonexistent/concertim-os.yaml does not exist')
  })

  it('unreachable systems: exit 1, one ✗ row per problem, each with a hint; dependent checks skipped', async () => {
    const path = writeConfig(config('http://127.0.0.1:1', 'http://127.0.0.1:1'))
    const run = await runCli(['doctor', '--config', path, '--json'])
    expect(run.code).to.equal(1)
    const report = JSON.parse(run.stdout) as Report
    const failed = report.checks.filter((c) => c.outcome === 'fail')
    expect(failed.map((c) => `${c.system}/${c.check}`)).to.deep.equal(['openstack/keystone reachable', 'concertim/app reachable', 'concertim-mrd/metric daemon reachable'])
    for (const f of failed) expect(f.hint, f.check).to.be.a('string').and.not.empty
    expect(report.checks.filter((c) => c.outcome === 'ok')).to.deep.equal([])
    expect(report.ok).to.equal(false)
  })

  it('the table names each failure and its fix', async () => {
    const path = writeConfig(config('http://127.0.0.1:1', 'http://127.0.0.1:1'))
    const run = await runCli(['doctor', '--config', path])
    expect(run.code).to.equal(1)
    // The table fits the terminal (80 columns here): cells wrap, so read them back whole.
    const rows = tablesIn(run.stdout)[0].map((row) => row.map((c) => squeeze(c)))
    const keystone = rows.find((r) => r[2] === 'keystonereachable')
    expect(keystone?.[0], run.stdout).to.equal('✗')
    expect(keystone?.[3]).to.contain('ECONNREFUSED').and.contain(squeeze('fix: check the URL'))
    expect(run.stdout).to.contain('3 checks failed.')
  })

  describe('against wrong endpoints that echo secrets back', () => {
    let server: LocalServer
    before(async () => {
      // One server plays a Keystone that rejects the password (echoing the request in its error),
      // then, for the second config, accepts it and points its catalog at services that echo the token.
      server = await new LocalServer((req, res, body) => {
        const url = req.url ?? ''
        if (url.startsWith('/bad/v3/auth/tokens')) return json(res, 401, {error: {code: 401, message: `The request you have made requires authentication: ${body}`, title: 'Unauthorized'}})
        if (url.startsWith('/good/v3/auth/tokens')) {
          const base = server.url
          const catalog = ['compute', 'orchestration', 'volumev3', 'network', 'metric'].map((type) => ({endpoints: [{interface: 'public', region: 'RegionOne', region_id: 'RegionOne', url: `${base}/svc/${type}`}], type}))
          res.writeHead(201, {'Content-Type': 'application/json', 'X-Subject-Token': TOKEN})
          res.end(JSON.stringify({token: {catalog, expires_at: new Date(Date.now() + 3_600_000).toISOString(), project: {domain: {id: 'default', name: 'Default'}, id: 'p1', name: 'admin'}, roles: [{id: 'r', name: 'admin'}], user: {domain: {id: 'default', name: 'Default'}, id: 'u1', name: 'admin'}}}))
          return
        }
        if (url.startsWith('/svc/')) return json(res, 500, {error: {message: `internal error for token ${String(req.headers['x-auth-token'])}`}})
        if (url.includes('sign_in')) return json(res, 401, {error: `Invalid login or password for ${body}`})
        return json(res, 404, {error: 'Not Found'})
      }).start()
    })
    after(async () => {
      await server.stop()
    })

    for (const [what, prefix] of [['rejected password', 'bad'], ['token echoed by services', 'good']] as const) {
      it(`${what}: no password or token in any log line, error or --json output, even at trace`, async () => {
        const path = writeConfig(config(`${server.url}/${prefix}`, `${server.url}/concertim`))
        const outputs: string[] = []
        for (const args of [['--json'], ['--log-format', 'json'], []]) {
           
          const run = await runCli(['doctor', '--config', path, '--log-level', 'trace', ...args])
          expect(run.code).to.equal(1)
          outputs.push(run.stdout, run.stderr)
        }
        const all = outputs.join('\n')
        expect(all).to.contain(prefix === 'bad' ? 'refused the credentials' : 'internal error for token')
        expect(all).to.not.contain(OS_PASSWORD)
        expect(all).to.not.contain(CT_PASSWORD)
        expect(all).to.not.contain(TOKEN)
      })
    }
  })
})
