import {expect} from 'chai'
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'

import {loadConfig} from '../../../src/lib/config/index.js'
import {simStatePaths, writeSimConfig} from '../../../src/lib/sim/write-config.js'

describe('sim --write-config (lib/sim/write-config)', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cos-simcfg-'))
  })
  afterEach(() => rmSync(dir, {force: true, recursive: true}))

  it('puts the view and the locks beside the configuration file, as absolute paths', () => {
    const relativeFile = relative(process.cwd(), join(dir, 'my-sim.yaml'))
    expect(simStatePaths(relativeFile)).to.deep.equal({lock_dir: join(dir, 'my-sim.locks'), store: {path: join(dir, 'my-sim.view.json')}})
  })

  it('writes a configuration (0600) whose store.path and lock_dir load as written', () => {
    const file = join(dir, 'sim.yaml')
    writeSimConfig(file, {
      concertim: {concertim_password: 'p', concertim_url: 'http://127.0.0.1:2', concertim_username: 'admin'},
      log_level: 'info',
      openstack: {auth_url: 'http://127.0.0.1:1/v3', password: 'p', project_domain_name: 'Default', project_name: 'admin', user_domain_name: 'Default', username: 'admin'},
    })
    expect(statSync(file).mode & 0o777).to.equal(0o600)
    expect(readFileSync(file, 'utf8')).to.contain('auth_url')
    const {config} = loadConfig({env: {}, path: file})
    expect(config.store.path).to.equal(join(dir, 'sim.view.json'))
    expect(config.lock_dir).to.equal(join(dir, 'sim.locks'))
  })
})
