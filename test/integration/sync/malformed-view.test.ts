import {expect} from 'chai'
import {writeFileSync} from 'node:fs'

import {startSyncWorld, type SyncWorld} from './support.js'

describe('sync over a view with malformed entries (simulator)', () => {
  let w: SyncWorld | undefined
  afterEach(async () => {
    await w?.stop()
    w = undefined
  })

  it('an entry that is valid JSON but not an object is left out with a warning: the sync completes and rewrites it', async () => {
    w = await startSyncWorld()
    expect((await w.sync()).results.every((r) => r.ok)).to.equal(true)
    const devices = w.sim.concertim.devices.size
    const device = [...w.sim.concertim.devices.values()].find((d) => typeof d.metadata?.openstack_instance_id === 'string') ?? expect.fail('a device of a server')
    const key = `device:${device.metadata?.openstack_instance_id as string}`
    writeFileSync(w.storePath, JSON.stringify({entries: {[key]: null, 'rack:x': [1]}, values: {}, version: 1}))
    const run = await w.cli(['sync', '--json'])
    expect(run.code, run.stderr).to.be.oneOf([0, 3])
    expect(run.stderr).to.match(/2 malformed entries left out \(device:.*, rack:x\)/)
    expect(w.sim.concertim.devices.size, 'no duplicate').to.equal(devices)
    const again = await w.cli(['sync', '--json'])
    expect(again.code, again.stderr).to.be.oneOf([0, 3])
    expect(again.stderr).to.not.contain('malformed')
  })
})
