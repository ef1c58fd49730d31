/**
 * Limits, quotas and the cloud's statistics for the app's team and overview pages. Limits are the
 * caller's project's (its own token); quotas of any project and the hypervisor statistics need the
 * configured admin.
 */
import type {CinderClient, NeutronClient, NovaClient} from '../openstack/index.js'
import type {NovaHypervisorStatistics} from '../openstack/nova.js'

/** Nova's absolute limits then Cinder's (the original's union; Cinder's keys win a clash). */
export async function projectLimits(user: {cinder: CinderClient; nova: NovaClient}): Promise<Record<string, number>> {
  const [nova, cinder] = await Promise.all([user.nova.absoluteLimits(), user.cinder.absoluteLimits()])
  return {...nova, ...cinder}
}

/** Nova ∪ Cinder ∪ Neutron quotas of a project (later sources win a clash, as in the original). */
export async function projectQuotas(admin: {cinder: CinderClient; neutron: NeutronClient; nova: NovaClient}, projectId: string): Promise<Record<string, unknown>> {
  const [nova, cinder, neutron] = await Promise.all([admin.nova.quotaSet(projectId), admin.cinder.quotaSet(projectId), admin.neutron.quota(projectId)])
  return {...nova, ...cinder, ...neutron}
}

export interface CloudStats {
  running_vms: number
  total_disk_space: number
  /** GB (Nova's MB / 1024). */
  total_ram: number
  total_vcpus: number
  used_disk_space: number
  used_ram: number
  used_vcpus: number
}

/** Nova's hypervisor totals as the app reads them (pure). */
export function cloudStats(s: NovaHypervisorStatistics): CloudStats {
  return {
    running_vms: s.running_vms,
    total_disk_space: s.local_gb,
    total_ram: s.memory_mb / 1024,
    total_vcpus: s.vcpus,
    used_disk_space: s.local_gb_used,
    used_ram: s.memory_mb_used / 1024,
    used_vcpus: s.vcpus_used,
  }
}
