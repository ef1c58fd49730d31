/**
 * The real OpenStack command-line client (python3-openstackclient, with heatclient) against the
 * simulator: version discovery, token auth, the catalog, microversion negotiation, paging and
 * the image lookups it does on its own. Skipped loudly when `openstack` is not on the PATH.
 */
import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'

const run = promisify(execFile)

async function which(cmd: string): Promise<string | undefined> {
  try {
    return (await run('sh', ['-c', `command -v ${cmd}`])).stdout.trim() || undefined
  } catch {
    return undefined
  }
}

describe('the real openstack CLI against the simulator', function () {
  this.timeout(180_000)
  let sim: Simulator
  let openstack: string | undefined
  let env: NodeJS.ProcessEnv

  before(async function () {
    openstack = await which('openstack')
    if (openstack === undefined) {
      if (process.env.CI && process.env.REQUIRE_OPENSTACK_CLI) throw new Error('openstack is not on the PATH; CI must provide it')
      console.warn('\n  !!! SKIPPING: the `openstack` CLI is not on the PATH — the real-client tests did not run !!!\n')
      this.skip()
    }
    sim = await startSimulator({preset: 'small', seed: 21})
    const k = sim.credentials.keystone
    env = {
      HOME: process.env.HOME,
      OS_AUTH_URL: `${sim.endpoints.keystone}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_INTERFACE: 'public',
      OS_PASSWORD: k.password,
      OS_PROJECT_DOMAIN_NAME: k.projectDomainName,
      OS_PROJECT_NAME: k.projectName,
      OS_REGION_NAME: 'RegionOne',
      OS_USER_DOMAIN_NAME: k.userDomainName,
      OS_USERNAME: k.username,
      PATH: process.env.PATH,
    }
  })
  after(async () => sim?.stop())

  /** Run `openstack <args> -f json`; the exit code must be 0. */
  const os = async (...args: string[]): Promise<Record<string, unknown>[]> => {
    const {stdout} = await run(openstack as string, [...args, '-f', 'json'], {env, maxBuffer: 16 * 1024 * 1024, timeout: 120_000})
    return JSON.parse(stdout) as Record<string, unknown>[]
  }

  it('project list', async () => {
    const names = (await os('project', 'list')).map((p) => p.Name)
    expect(names).to.include.members(['admin', ...sim.cloud.teams.map((t) => t.projectName)])
  })

  it('flavor list', async () => {
    const names = (await os('flavor', 'list')).map((f) => f.Name)
    expect(names).to.have.members(sim.world.flavors.all().map((f) => f.name))
  })

  it('server list --all-projects', async () => {
    const names = (await os('server', 'list', '--all-projects')).map((s) => s.Name)
    expect(names).to.have.members(sim.world.servers.all().map((s) => s.name))
  })

  it('stack list (own project) and stack list --all-projects', async () => {
    const own = sim.world.stacks.partition(sim.cloud.adminProjectId).filter((s) => s.parentId === null)
    expect((await os('stack', 'list')).map((s) => s['Stack Name'])).to.have.members(own.map((s) => s.name))
    const names = (await os('stack', 'list', '--all-projects')).map((s) => s['Stack Name'])
    expect(names).to.have.members(sim.world.stacks.all().filter((s) => s.parentId === null).map((s) => s.name))
  })
})
