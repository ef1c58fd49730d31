import {expect} from 'chai'

import type {ConcertimDevice} from '../../../src/lib/model/concertim.js'
import type {JsonObject} from '../../../src/lib/model/json.js'
import type {Server} from '../../../src/lib/model/cloud.js'
import {legacyDecode} from '../../../src/lib/reconcile/engine.js'
import {completeFromDevice} from '../../../src/lib/reconcile/observe.js'

const server = (): Server => ({
  fixedIps: ['10.0.0.5'],
  floatingIps: [],
  flavorId: 'f1',
  id: 's1',
  keyName: null,
  name: 'web',
  networkNames: ['private'],
  powerState: 4,
  projectId: 'p1',
  status: 'SHUTOFF',
  taskState: null,
  vmState: 'stopped',
  volumeIds: ['v-from-payload'],
})

const device = (details: JsonObject): ConcertimDevice => ({description: null, details, id: 'd1', location: null, metadata: {openstack_instance_id: 's1'}, name: 'web', rackId: 'r1', status: 'ACTIVE', templateId: 't1', type: 'Instance'})

describe('completeFromDevice: what a notification lacks, from the device Concertim shows', () => {
  const cases: Array<{details: JsonObject; expect: false | {floatingIps: string[]; volumeIds: string[]}; name: string; unknown: string[]}> = [
    {details: {public_ips: '172.24.4.10, 172.24.4.11'}, expect: {floatingIps: ['172.24.4.10', '172.24.4.11'], volumeIds: ['v-from-payload']}, name: 'floating IPs as we write them', unknown: ['floatingIps']},
    {details: {public_ips: ''}, expect: {floatingIps: [], volumeIds: ['v-from-payload']}, name: 'no floating IP', unknown: ['floatingIps']},
    {details: {public_ips: "['172.24.4.10']"}, expect: {floatingIps: ['172.24.4.10'], volumeIds: ['v-from-payload']}, name: "the original service's Python repr", unknown: ['floatingIps']},
    {details: {public_ips: '', volume_details: ['v1', 'v2']}, expect: {floatingIps: [], volumeIds: ['v1', 'v2']}, name: 'volumes too', unknown: ['floatingIps', 'volumeIds']},
    {details: {public_ips: '', volume_details: "['v1']"}, expect: {floatingIps: [], volumeIds: ['v1']}, name: 'volumes as a Python repr', unknown: ['floatingIps', 'volumeIds']},
    {details: {}, expect: false, name: 'a device without the column: not known', unknown: ['floatingIps']},
    {details: {public_ips: ''}, expect: false, name: 'volumes unknown and not on the device', unknown: ['floatingIps', 'volumeIds']},
    {details: {public_ips: 5}, expect: false, name: 'a value of the wrong type', unknown: ['floatingIps']},
    {details: {public_ips: ''}, expect: false, name: 'a field it cannot take from a device', unknown: ['keyName']},
    {details: {}, expect: {floatingIps: [], volumeIds: ['v-from-payload']}, name: 'nothing unknown', unknown: []},
  ]
  for (const c of cases) {
    it(c.name, () => {
      const s = server()
      const ok = completeFromDevice(s, c.unknown, device(c.details), legacyDecode)
      if (c.expect === false) expect(ok).to.equal(false)
      else {
        expect(ok).to.equal(true)
        expect({floatingIps: s.floatingIps, volumeIds: s.volumeIds}).to.deep.equal(c.expect)
      }
    })
  }
})
