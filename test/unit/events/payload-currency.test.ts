import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'

import {interpret, unwrapNovaObject} from '../../../src/lib/events/index.js'
import {novaPayloadRule} from '../../../src/lib/events/payload-currency.js'
import {loadNovaSamples} from '../../support/nova-samples.js'
import {FIXTURE_DIR} from './wire-fixtures.js'

/**
 * Every nova doc sample (test/fixtures/nova-samples) → what listen does with it: the payload is the
 * server's state (`payload`), the server is read (`read`), the server is gone (`deleted`), nothing
 * to do (`ignored`). A sample without a row fails. The reasons are in src/lib/events/payload-currency.ts.
 */
const RULE: Record<string, 'deleted' | 'ignored' | 'payload' | 'read'> = {
  'instance-create-end.json': 'payload',
  'instance-create-error.json': 'read',
  'instance-create-start.json': 'read',
  'instance-delete-end.json': 'deleted',
  'instance-delete-end_compute_down.json': 'deleted',
  'instance-delete-end_not_scheduled.json': 'deleted',
  'instance-delete-start.json': 'read',
  'instance-delete-start_compute_down.json': 'read',
  'instance-delete-start_not_scheduled.json': 'read',
  'instance-evacuate.json': 'read',
  'instance-exists.json': 'ignored',
  'instance-interface_attach-end.json': 'read',
  'instance-interface_attach-error.json': 'read',
  'instance-interface_attach-start.json': 'read',
  'instance-interface_detach-end.json': 'read',
  'instance-interface_detach-start.json': 'read',
  'instance-live_migration_abort-end.json': 'read',
  'instance-live_migration_abort-start.json': 'read',
  'instance-live_migration_force_complete-end.json': 'read',
  'instance-live_migration_force_complete-start.json': 'read',
  'instance-live_migration_post-end.json': 'read',
  'instance-live_migration_post-start.json': 'read',
  'instance-live_migration_post_dest-end.json': 'read',
  'instance-live_migration_post_dest-start.json': 'read',
  'instance-live_migration_pre-end.json': 'read',
  'instance-live_migration_pre-start.json': 'read',
  'instance-live_migration_rollback-end.json': 'read',
  'instance-live_migration_rollback-start.json': 'read',
  'instance-live_migration_rollback_dest-end.json': 'read',
  'instance-live_migration_rollback_dest-start.json': 'read',
  'instance-lock-with-reason.json': 'read',
  'instance-lock.json': 'read',
  'instance-pause-end.json': 'payload',
  'instance-pause-start.json': 'read',
  'instance-power_off-end.json': 'payload',
  'instance-power_off-start.json': 'read',
  'instance-power_on-end.json': 'payload',
  'instance-power_on-start.json': 'read',
  'instance-power_on_share-end.json': 'payload',
  'instance-power_on_share-start.json': 'read',
  'instance-reboot-end.json': 'payload',
  'instance-reboot-error.json': 'read',
  'instance-reboot-start.json': 'read',
  'instance-rebuild-end.json': 'payload',
  'instance-rebuild-error.json': 'read',
  'instance-rebuild-start.json': 'read',
  'instance-rebuild_scheduled.json': 'read',
  'instance-rescue-end.json': 'payload',
  'instance-rescue-start.json': 'read',
  'instance-resize-end.json': 'read',
  'instance-resize-error.json': 'read',
  'instance-resize-start.json': 'read',
  'instance-resize_confirm-end.json': 'payload',
  'instance-resize_confirm-start.json': 'read',
  'instance-resize_finish-end.json': 'payload',
  'instance-resize_finish-start.json': 'read',
  'instance-resize_prep-end.json': 'read',
  'instance-resize_prep-start.json': 'read',
  'instance-resize_revert-end.json': 'payload',
  'instance-resize_revert-start.json': 'read',
  'instance-restore-end.json': 'payload',
  'instance-restore-start.json': 'read',
  'instance-resume-end.json': 'payload',
  'instance-resume-start.json': 'read',
  'instance-share_attach-end.json': 'read',
  'instance-share_attach-error.json': 'read',
  'instance-share_attach-start.json': 'read',
  'instance-share_detach-end.json': 'read',
  'instance-share_detach-error.json': 'read',
  'instance-share_detach-start.json': 'read',
  'instance-shelve-end.json': 'payload',
  'instance-shelve-start.json': 'read',
  'instance-shelve_offload-end.json': 'payload',
  'instance-shelve_offload-start.json': 'read',
  'instance-shutdown-end.json': 'read',
  'instance-shutdown-start.json': 'read',
  'instance-snapshot-end.json': 'payload',
  'instance-snapshot-start.json': 'read',
  'instance-soft_delete-end.json': 'read',
  'instance-soft_delete-start.json': 'read',
  'instance-suspend-end.json': 'payload',
  'instance-suspend-start.json': 'read',
  'instance-trigger_crash_dump-end.json': 'read',
  'instance-trigger_crash_dump-start.json': 'read',
  'instance-unlock.json': 'read',
  'instance-unpause-end.json': 'payload',
  'instance-unpause-start.json': 'read',
  'instance-unrescue-end.json': 'payload',
  'instance-unrescue-start.json': 'read',
  'instance-unshelve-end.json': 'payload',
  'instance-unshelve-start.json': 'read',
  'instance-update-tags-action.json': 'payload',
  'instance-update.json': 'payload',
  'instance-volume_attach-end.json': 'payload',
  'instance-volume_attach-error.json': 'read',
  'instance-volume_attach-start.json': 'read',
  'instance-volume_detach-end.json': 'read',
  'instance-volume_detach-start.json': 'read',
  'instance-volume_swap-end.json': 'read',
  'instance-volume_swap-error.json': 'read',
  'instance-volume_swap-start.json': 'read',
}

describe('events: whose payload is the server\'s current state (nova\'s published samples)', () => {
  const samples = loadNovaSamples()

  it('has a row for every sample (and no row without a sample)', () => {
    expect(samples.map((s) => s.file)).to.deep.equal(Object.keys(RULE).sort())
  })

  it('resolves the samples like nova does (the shared fixtures were resolved by nova\'s tooling)', () => {
    for (const name of ['instance-create-end', 'instance-power_off-end', 'instance-update', 'instance-delete-start']) {
      const shared = JSON.parse(readFileSync(join(FIXTURE_DIR, 'nova-versioned', `${name}.json`), 'utf8')) as {payload: unknown}
      const mine = samples.find((s) => s.file === `${name}.json`)
      expect(mine?.payload, name).to.deep.equal(shared.payload)
    }
  })

  for (const s of samples) {
    it(`${s.file} (${s.eventType}) → ${RULE[s.file]}`, () => {
      const i = interpret(s.message)
      const want = RULE[s.file]
      if (want === 'ignored') {
        expect(i.kind).to.equal('ignored')
        return
      }
      if (i.kind !== 'entity') throw new Error(`${i.kind}: ${i.reason}`)
      expect(i.ref.kind).to.equal('server')
      if (want === 'deleted') expect(i.state).to.deep.equal({deleted: true, kind: 'server'})
      else if (want === 'read') expect(i.state, 'no payload state: the server is read').to.equal(undefined)
      else expect(i.state).to.deep.include({deleted: false, kind: 'server'})
    })
  }

  it('the samples show why: live_migration_post.end still says migrating, volume_detach.end still lists the volume', () => {
    const data = (file: string) => unwrapNovaObject(samples.find((s) => s.file === file)?.payload) as Record<string, unknown>
    expect(data('instance-live_migration_post-end.json').task_state).to.equal('migrating')
    const detach = data('instance-volume_detach-end.json')
    expect((detach.block_devices as Array<{volume_id: string}>).map((b) => b.volume_id)).to.include(detach.volume_id)
    expect(data('instance-resize-end.json').task_state).to.equal('resize_migrated')
    expect(data('instance-rebuild-error.json').task_state).to.equal('rebuilding')
  })

  it('anything not known to be final reads the server', () => {
    const cases: Array<[string, 'payload' | 'read']> = [
      ['instance.power_off.end', 'payload'],
      ['instance.update', 'payload'],
      ['instance.live_migration_post.end', 'read'],
      ['instance.live_migration_rollback_dest.end', 'read'],
      ['instance.live_migration_something_new.end', 'read'],
      ['instance.rebuild.error', 'read'],
      ['instance.resize.error', 'read'],
      ['instance.power_off.start', 'read'],
      ['instance.brand_new_action.end', 'read'],
      ['instance.volume_detach.end', 'read'],
    ]
    for (const [t, rule] of cases) expect(novaPayloadRule(t).rule, t).to.equal(rule)
  })
})
