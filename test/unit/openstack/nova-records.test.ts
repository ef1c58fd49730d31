import {expect} from 'chai'

import {isCompleteServer, isEmbeddedFlavor} from '../../../src/lib/openstack/nova.js'
import type {NovaPartialServer, NovaServer} from '../../../src/lib/openstack/types.js'
import {fixture} from '../../integration/openstack/support/fixtures.js'

const server = (v: string): NovaServer => fixture<{servers: NovaServer[]}>(`nova/servers-details-v${v}.json`).servers[0]

describe('openstack/nova: records', () => {
  it('the fixture servers (v2.1 and v2.100) are complete', () => {
    expect(isCompleteServer(server('2.1'))).to.equal(true)
    expect(isCompleteServer(server('2.100'))).to.equal(true)
  })

  it('a down-cell record (status UNKNOWN, keys missing) is partial', () => {
    const partial: NovaPartialServer = {created: '2019-01-01T00:00:00Z', id: 'x', status: 'UNKNOWN', tenant_id: 't'}
    expect(isCompleteServer(partial)).to.equal(false)
  })

  it('a record missing a key we need is partial even with a known status', () => {
    const {flavor: _flavor, ...rest} = server('2.100')
    expect(isCompleteServer(rest as unknown as NovaServer)).to.equal(false)
    expect(isCompleteServer({...server('2.100'), status: 'UNKNOWN'})).to.equal(false)
  })

  it('tells an inline flavor (2.47+) from a reference', () => {
    expect(isEmbeddedFlavor(server('2.100').flavor)).to.equal(true)
    expect(isEmbeddedFlavor(server('2.1').flavor)).to.equal(false)
  })
})
