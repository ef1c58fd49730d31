import {expect} from 'chai'

import type {Device} from '../../../src/lib/concertim/types.js'
import {targetsFromDevices, targetsFromView} from '../../../src/lib/metrics/targets.js'
import type {ViewEntry} from '../../../src/lib/store/types.js'

function dev(id: string, type: Device['type'], metadata: Record<string, unknown>): Device {
  return {cost: '0.00', description: null, details: {}, id, location: {}, metadata, name: `n-${id}`, status: 'ACTIVE', template_id: 't1', type} as unknown as Device
}

describe('metrics/targets', () => {
  it('from Concertim: Instance devices carrying openstack_instance_id, sorted by device id', () => {
    const devices = [
      dev('d3', 'Instance', {openstack_instance_id: 's3'}),
      dev('d1', 'Instance', {openstack_instance_id: ' s1 '}),
      dev('d2', 'Volume', {openstack_instance_id: 'v2'}),
      dev('d4', 'Instance', {}),
      dev('d5', 'Instance', {openstack_instance_id: ''}),
      dev('d6', 'Network', {openstack_instance_id: 'n6'}),
    ]
    expect(targetsFromDevices(devices)).to.deep.equal([
      {deviceId: 'd1', instanceId: 's1', name: 'n-d1', templateId: 't1'},
      {deviceId: 'd3', instanceId: 's3', name: 'n-d3', templateId: 't1'},
    ])
  })

  const views: [string, [string, ViewEntry][], unknown][] = [
    ['an empty view → ask Concertim', [], undefined],
    ['no device entries → ask Concertim', [['rack:x', {concertimId: 'r1'}]], undefined],
    ['device entries without their type (baseline only) → ask Concertim', [['device:s1', {concertimId: 'd1', hash: 'h', misses: 0}]], undefined],
    [
      'typed entries → Instance devices only, the server id from the key or instanceId',
      [
        ['device:s2', {concertimId: 'd2', type: 'Instance'}],
        ['device:v1', {concertimId: 'd9', type: 'Volume'}],
        ['device:s1', {concertimId: 'd1', instanceId: 's1x', name: 'web', templateId: 't', type: 'Instance'}],
        ['device:s3', {type: 'Instance'}],
        ['rack:x', {concertimId: 'r1'}],
      ],
      [
        {deviceId: 'd1', instanceId: 's1x', name: 'web', templateId: 't'},
        {deviceId: 'd2', instanceId: 's2', name: undefined, templateId: undefined},
      ],
    ],
  ]
  for (const [name, entries, expected] of views) it(`from the view: ${name}`, () => expect(targetsFromView(new Map(entries))).to.deep.equal(expected))
})
