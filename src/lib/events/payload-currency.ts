/**
 * Which versioned nova notifications carry the server's state as nova has it once the operation is
 * over (the payload may stand in for a GET), and which do not (the server is read). Pure.
 *
 * A payload is the instance object as the emitting service holds it when it sends. It is the state
 * to show only when that object was saved with the operation's final vm_state/task_state right
 * before the notification, and no other service can have changed the instance in between. Found in
 * openstack/nova @ 00a030403f67 (nova/compute/manager.py unless said otherwise) and checked against
 * its doc/notification_samples (test/fixtures/nova-samples). Conservative: every event type not
 * listed here — `*.start`, `*.error`, live migration, unknown ones — reads the server.
 */

export type PayloadRule =
  | {rule: 'payload'; source: string}
  | {rule: 'read'; why: string}

/** Event type → where nova saves the final state before sending it. */
const CURRENT: Readonly<Record<string, string>> = {
  'instance.create.end': '_build_and_run_instance: instance.save(expected_task_state=SPAWNING) after _update_instance_after_spawn (ACTIVE, task None), then notify_about_instance_create END',
  'instance.pause.end': 'pause_instance: vm_state PAUSED, task None, save, then END',
  'instance.power_off.end': 'stop_instance.do_stop_instance: vm_state STOPPED, task None, save, then END',
  'instance.power_on.end': 'start_instance: vm_state ACTIVE, task None, save, then END',
  'instance.reboot.end': 'reboot_instance: power/vm_state, task None, save, then END (an error that re-raises sends no END)',
  'instance.rebuild.end': '_do_rebuild_instance: save(expected_task_state=REBUILD_SPAWNING) (and stop_instance when it was stopped), then notify_about_instance_rebuild END',
  'instance.rescue.end': 'rescue_instance: vm_state RESCUED, task None, save, then notify_about_instance_rescue_action END',
  'instance.resize_confirm.end': '_confirm_resize: vm_state ACTIVE/STOPPED, task None, save, then END (cross-cell: conductor/tasks/cross_cell_migrate.py ConfirmResizeTask._execute, after _finish_confirm_in_target_cell)',
  'instance.resize_finish.end': '_finish_resize: vm_state RESIZED, task None, save(expected_task_state=RESIZE_FINISH); _finish_resize_helper then sends END',
  'instance.resize_revert.end': 'finish_revert_resize: vm_state ACTIVE, task None, save (or stop_instance), then END',
  'instance.restore.end': 'restore_instance: vm_state ACTIVE, task None, save, then END',
  'instance.resume.end': 'resume_instance: vm_state from old_vm_state, task None, save, then END',
  'instance.shelve.end': '_shelve_instance: vm_state SHELVED, task None (SHELVING_OFFLOADING when offloading at once: shelve_offload.end follows on the same host), save, then END',
  'instance.shelve_offload.end': '_shelve_offload_instance: vm_state SHELVED_OFFLOADED, task None, save, then END',
  'instance.snapshot.end': '_snapshot_instance: task None, save(expected_task_state=IMAGE_UPLOADING), then notify_about_instance_snapshot END',
  'instance.suspend.end': 'suspend_instance: vm_state SUSPENDED, task None, save, then END',
  'instance.unpause.end': 'unpause_instance: vm_state ACTIVE, task None, save, then END',
  'instance.unrescue.end': 'unrescue_instance: vm_state ACTIVE, task None, save, then END',
  'instance.unshelve.end': '_unshelve_instance: _update_instance_after_spawn, save(expected_task_state=SPAWNING), then END',
  'instance.update': 'nova/objects/instance.py Instance.save: notifications.send_update(old_ref, new_ref) with the row just written (conductor: send_update_with_states for the new BUILDING instance)',
  'instance.volume_attach.end': '_attach_volume: no state change; the BDM exists (created before the attach, destroyed only on failure), so block_devices (when sent) is current',
}

/** Event types that look final but are not, and why (the rest of the `.end`s not in CURRENT say why below). */
const NOT_CURRENT: Readonly<Record<string, string>> = {
  'instance.interface_attach.end': 'no state saved for it; ip_addresses come from the network info cache',
  'instance.interface_detach.end': 'no state saved for it; ip_addresses come from the network info cache',
  'instance.resize.end': 'resize_instance casts finish_resize to the destination before sending it: the destination may already have saved a newer state',
  'instance.resize_prep.end': 'an intermediate step (task_state resize_prep); the resize goes on on another host',
  'instance.shutdown.end': 'a step of the deletion (task_state deleting)',
  'instance.soft_delete.end': 'nova/compute/utils.py notify_about_instance_delete sends it in a `finally`: also when the operation failed',
  'instance.trigger_crash_dump.end': 'nothing is saved for it (the driver only triggers the dump)',
  'instance.volume_detach.end': '_detach_volume sends it before bdm.destroy(): block_devices still lists the detached volume',
  'instance.volume_swap.end': 'no state saved for it; the BDMs change under it',
}

/** Whether a versioned nova event's payload is the server's current state, or the server must be read. */
export function novaPayloadRule(eventType: string): PayloadRule {
  const source = CURRENT[eventType]
  if (source !== undefined) return {rule: 'payload', source}
  const known = NOT_CURRENT[eventType]
  if (known !== undefined) return {rule: 'read', why: known}
  if (eventType.startsWith('instance.live_migration')) {
    return {
      rule: 'read',
      why: 'live migration: _post_live_migration sends live_migration_post.end with the source\'s stale object (task_state migrating) after post_live_migration_at_destination saved task None; rollback_dest.end may come after rollback.end',
    }
  }
  if (eventType.endsWith('.start')) return {rule: 'read', why: 'the state before the operation'}
  if (eventType.endsWith('.error')) return {rule: 'read', why: 'the state before the failure; nova changes it afterwards (reverts_task_state, _set_instance_obj_error_state) without an action notification'}
  return {rule: 'read', why: 'not known to carry the final state'}
}
