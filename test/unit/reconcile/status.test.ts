import {expect} from 'chai'

import {networkStatus, rackStatus, serverStatus, volumeStatus} from '../../../src/lib/reconcile/status.js'

describe('reconcile/status', () => {
  describe('rackStatus (Heat stack_status)', () => {
    const table: [string, string][] = [
      ['CREATE_COMPLETE', 'ACTIVE'],
      ['CREATE_IN_PROGRESS', 'IN_PROGRESS'],
      ['CREATE_FAILED', 'FAILED'],
      ['UPDATE_COMPLETE', 'ACTIVE'],
      ['UPDATE_IN_PROGRESS', 'IN_PROGRESS'],
      ['UPDATE_FAILED', 'FAILED'],
      ['RESUME_COMPLETE', 'ACTIVE'],
      ['RESUME_IN_PROGRESS', 'IN_PROGRESS'],
      ['SUSPEND_COMPLETE', 'STOPPED'],
      ['SUSPEND_IN_PROGRESS', 'IN_PROGRESS'],
      ['ROLLBACK_IN_PROGRESS', 'IN_PROGRESS'],
      ['ROLLBACK_COMPLETE', 'ACTIVE'],
      ['ROLLBACK_FAILED', 'FAILED'],
      ['CHECK_IN_PROGRESS', 'IN_PROGRESS'],
      ['CHECK_COMPLETE', 'ACTIVE'],
      ['CHECK_FAILED', 'FAILED'],
      ['ADOPT_IN_PROGRESS', 'IN_PROGRESS'],
      ['ADOPT_COMPLETE', 'ACTIVE'],
      ['DELETE_IN_PROGRESS', 'IN_PROGRESS'],
      ['DELETE_COMPLETE', 'IN_PROGRESS'],
      ['DELETE_FAILED', 'FAILED'],
      ['SNAPSHOT_COMPLETE', 'ACTIVE'],
      ['RESTORE_COMPLETE', 'ACTIVE'],
    ]
    for (const [heat, status] of table) {
      it(`${heat} → ${status}`, () => {
        expect(rackStatus(heat)).to.deep.equal({status})
      })
    }
    for (const odd of ['EXPLODE_COMPLETE', 'CREATE_WEIRD', '', 'garbage']) {
      it(`unknown ${JSON.stringify(odd)} → FAILED, reported`, () => {
        expect(rackStatus(odd)).to.deep.equal({status: 'FAILED', unknown: odd})
      })
    }
  })

  describe('serverStatus (nova vm_state, task_state, status)', () => {
    const table: [string | null, string | null, string, string][] = [
      // vm_state, task_state, status, expected
      ['active', null, 'ACTIVE', 'ACTIVE'],
      ['building', 'spawning', 'BUILD', 'IN_PROGRESS'],
      ['stopped', null, 'SHUTOFF', 'STOPPED'],
      ['suspended', null, 'SUSPENDED', 'SUSPENDED'],
      ['paused', null, 'PAUSED', 'SUSPENDED'],
      ['shelved', null, 'SHELVED', 'STOPPED'],
      ['shelved_offloaded', null, 'SHELVED_OFFLOADED', 'STOPPED'],
      ['rescued', null, 'RESCUE', 'ACTIVE'],
      ['resized', null, 'VERIFY_RESIZE', 'ACTIVE'],
      ['soft-delete', null, 'SOFT_DELETED', 'IN_PROGRESS'],
      ['deleted', null, 'DELETED', 'IN_PROGRESS'],
      ['error', null, 'ERROR', 'FAILED'],
      ['error', 'deleting', 'ERROR', 'FAILED'],
      ['active', 'powering-off', 'ACTIVE', 'IN_PROGRESS'],
      ['stopped', 'powering-on', 'SHUTOFF', 'IN_PROGRESS'],
      ['active', 'resize_migrating', 'RESIZE', 'IN_PROGRESS'],
      // vm_state not visible: fall back to status
      [null, null, 'SHUTOFF', 'STOPPED'],
      [null, null, 'ACTIVE', 'ACTIVE'],
      [null, null, 'VERIFY_RESIZE', 'ACTIVE'],
      [null, 'rebooting', 'REBOOT', 'IN_PROGRESS'],
    ]
    for (const [vmState, taskState, status, expected] of table) {
      it(`vm_state=${vmState} task_state=${taskState} status=${status} → ${expected}`, () => {
        expect(serverStatus({status, taskState, vmState}).status).to.equal(expected)
        expect(serverStatus({status, taskState, vmState}).unknown).to.equal(undefined)
      })
    }
    it('an unknown vm_state is FAILED and reported, even with a task', () => {
      expect(serverStatus({status: 'ACTIVE', taskState: 'x', vmState: 'levitating'})).to.deep.equal({status: 'FAILED', unknown: 'levitating'})
    })
  })

  describe('volumeStatus (cinder)', () => {
    const table: [string, string][] = [
      ['available', 'AVAILABLE'],
      ['in-use', 'ACTIVE'],
      ['creating', 'IN_PROGRESS'],
      ['attaching', 'IN_PROGRESS'],
      ['detaching', 'IN_PROGRESS'],
      ['deleting', 'IN_PROGRESS'],
      ['extending', 'IN_PROGRESS'],
      ['reserved', 'IN_PROGRESS'],
      ['error', 'FAILED'],
      ['error_deleting', 'FAILED'],
      ['error_extending', 'FAILED'],
    ]
    for (const [cinder, status] of table) it(`${cinder} → ${status}`, () => expect(volumeStatus(cinder)).to.deep.equal({status}))
    it('unknown → FAILED, reported', () => expect(volumeStatus('melted')).to.deep.equal({status: 'FAILED', unknown: 'melted'}))
  })

  describe('networkStatus (neutron)', () => {
    const table: [string, string][] = [
      ['ACTIVE', 'ACTIVE'],
      ['DOWN', 'STOPPED'],
      ['BUILD', 'IN_PROGRESS'],
      ['ERROR', 'FAILED'],
    ]
    for (const [neutron, status] of table) it(`${neutron} → ${status}`, () => expect(networkStatus(neutron)).to.deep.equal({status}))
    it('unknown → FAILED, reported', () => expect(networkStatus('SIDEWAYS').status).to.equal('FAILED'))
  })

  it('every mapped status is one the Concertim type accepts (§4.4, §4.6)', () => {
    const instance = new Set(['IN_PROGRESS', 'FAILED', 'ACTIVE', 'STOPPED', 'SUSPENDED'])
    const volumeOk = new Set(['IN_PROGRESS', 'FAILED', 'ACTIVE', 'AVAILABLE'])
    const networkOk = new Set(['IN_PROGRESS', 'FAILED', 'ACTIVE', 'STOPPED'])
    for (const v of ['active', 'paused', 'shelved', 'rescued', 'resized', 'soft-delete', 'suspended']) {
      expect(instance.has(serverStatus({status: '', taskState: null, vmState: v}).status), v).to.equal(true)
    }
    for (const v of ['available', 'in-use', 'error', 'x']) expect(volumeOk.has(volumeStatus(v).status), v).to.equal(true)
    for (const v of ['ACTIVE', 'DOWN', 'BUILD', 'x']) expect(networkOk.has(networkStatus(v).status), v).to.equal(true)
  })
})
