import {expect} from 'chai'

import type {ConcertimDevice} from '../../../src/lib/model/concertim.js'
import type {JsonObject} from '../../../src/lib/model/json.js'
import type {Server, Volume} from '../../../src/lib/model/cloud.js'
import {legacyDecode} from '../../../src/lib/reconcile/engine.js'
import {completeFromDevice} from '../../../src/lib/reconcile/observe/index.js'

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
    // bdms_in_notifications off: the payload has no block_devices. The device's list is what the
    // last reconcile saw — exactly what volume_attach/detach change: read the server, never guess.
    {details: {public_ips: '', volume_details: ['v1', 'v2']}, expect: false, name: 'volumes unknown: never taken from the device', unknown: ['floatingIps', 'volumeIds']},
    {details: {public_ips: '', volume_details: "['v1']"}, expect: false, name: 'volumes unknown, as a Python repr: never taken from the device', unknown: ['floatingIps', 'volumeIds']},
    {details: {volume_details: ['v1']}, expect: false, name: 'volumes alone unknown: never taken from the device', unknown: ['volumeIds']},
    {details: {}, expect: false, name: 'a device without the column: not known', unknown: ['floatingIps']},
    {details: {public_ips: ''}, expect: false, name: 'volumes unknown and not on the device', unknown: ['floatingIps', 'volumeIds']},
    {details: {public_ips: 5}, expect: false, name: 'a value of the wrong type', unknown: ['floatingIps']},
    {details: {public_ips: ''}, expect: false, name: 'a field it cannot take from a device', unknown: ['keyName']},
    {details: {}, expect: {floatingIps: [], volumeIds: ['v-from-payload']}, name: 'nothing unknown', unknown: []},
  ]
  for (const c of cases) {
    it(c.name, () => {
      const s = server()
      const ok = completeFromDevice({kind: 'server', record: s, unknown: c.unknown}, c.unknown, device(c.details), legacyDecode)
      if (c.expect === false) expect(ok).to.equal(false)
      else {
        expect(ok).to.equal(true)
        expect({floatingIps: s.floatingIps, volumeIds: s.volumeIds}).to.deep.equal(c.expect)
      }
    })
  }
})

describe('completeFromDevice: a volume', () => {
  const volume = (): Volume => ({attachments: [], availabilityZone: 'nova', bootable: null, encrypted: null, id: 'v1', name: 'data', projectId: 'p1', size: 1, status: 'in-use', volumeType: null})
  const unknown = ['bootable', 'encrypted', 'volumeType']
  const cases: Array<{details: JsonObject; expect: false | Partial<Volume>; name: string}> = [
    {details: {bootable: false, encrypted: false, volume_type: 'lvmdriver-1'}, expect: {bootable: false, encrypted: false, volumeType: 'lvmdriver-1'}, name: 'as we write them'},
    {details: {bootable: 'True', encrypted: 'False', volume_type: 'lvmdriver-1'}, expect: {bootable: true, encrypted: false, volumeType: 'lvmdriver-1'}, name: "the original service's Python repr"},
    {details: {bootable: false, encrypted: false}, expect: false, name: 'no type on the device (none, or never written): read the volume'},
    {details: {bootable: 'yes', encrypted: false, volume_type: 'x'}, expect: false, name: 'a value of the wrong type'},
  ]
  for (const c of cases) {
    it(c.name, () => {
      const v = volume()
      const ok = completeFromDevice({kind: 'volume', record: v, unknown}, unknown, device(c.details), legacyDecode)
      if (c.expect === false) expect(ok).to.equal(false)
      else {
        expect(ok).to.equal(true)
        expect(v).to.include(c.expect)
      }
    })
  }
})
