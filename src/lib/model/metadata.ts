/**
 * The metadata keys concertim-os writes into Concertim and matches on (original-service §3.9). They
 * are also the provenance marks of deletion safety: a rack or device without its key was not made by
 * us (or by the original service) and is never deleted.
 */
export const RackMetadata = {
  /** Heat stack id: matches a rack to its stack (`HwRack#openstack_id`). */
  stackId: 'openstack_stack_id',
  /** Heat `stack_owner` (a user name). */
  stackOwner: 'openstack_stack_owner',
  /** The stack's project id (the original's name, kept for compatibility). */
  stackOwnerId: 'openstack_stack_owner_id',
  /** Heat `stack_status_reason`. */
  statusReason: 'stack_status_reason',
  /** Stack outputs: a JSON array of `{output_key, output_value, description}` (see desire.ts). */
  stackOutput: 'openstack_stack_output',
  /** The project whose stand-alone servers the rack shows (option `standaloneServers: 'team_rack'`). */
  standaloneProjectId: 'openstack_standalone_servers_project_id',
} as const

export const DeviceMetadata = {
  /** Nova server, Cinder volume or Neutron network id: matches a device to its cloud object. */
  instanceId: 'openstack_instance_id',
  /** The stack id of the device's rack. */
  stackId: 'openstack_stack_id',
  /** The server's network names (keys of nova `addresses`): a JSON array of strings. */
  netInterfaces: 'net_interfaces',
} as const
