/**
 * CanCan abilities (reference/concertim-api.md §3.4): root manages everything; other users read
 * the racks and devices of their teams and manage those of teams where they are admin.
 */
import type {ConcertimState, DeviceRecord, RackRecord, TeamRecord, UserRecord} from './state.js'

export class Abilities {
  constructor(private readonly state: ConcertimState) {}

  canReadRack(user: UserRecord, rack: RackRecord): boolean {
    return user.root || this.state.roleIn(user.id, rack.team_id) !== undefined
  }

  canManageRack(user: UserRecord, rack: RackRecord): boolean {
    return user.root || this.state.roleIn(user.id, rack.team_id) === 'admin'
  }

  /** Creating a rack for a team: root, or admin of that team. */
  canCreateRackIn(user: UserRecord, teamId: unknown): boolean {
    return user.root || (typeof teamId === 'string' && this.state.roleIn(user.id, teamId) === 'admin')
  }

  canReadDevice(user: UserRecord, device: DeviceRecord): boolean {
    const rack = this.state.rackOfDevice(device)
    return user.root || (rack !== undefined && this.canReadRack(user, rack))
  }

  canManageDevice(user: UserRecord, device: DeviceRecord): boolean {
    const rack = this.state.rackOfDevice(device)
    return user.root || (rack !== undefined && this.canManageRack(user, rack))
  }

  /** `authorize! :create, Device` (class level): anyone with a manage rule on devices. */
  canCreateDevices(user: UserRecord): boolean {
    return user.root || this.state.rolesOfUser(user.id).some((r) => r.role === 'admin')
  }

  /** The racks a user can read (index): all for root, those of the user's teams otherwise. */
  readableRacks(user: UserRecord): RackRecord[] {
    if (user.root) return [...this.state.racks.values()]
    return this.teamIds(user).flatMap((teamId) => this.state.racksOfTeam(teamId))
  }

  readableTeams(user: UserRecord): TeamRecord[] {
    if (user.root) return [...this.state.teams.values()]
    return this.teamIds(user)
      .map((id) => this.state.teams.get(id))
      .filter((t): t is TeamRecord => t !== undefined)
  }

  private teamIds(user: UserRecord): string[] {
    return [...new Set(this.state.rolesOfUser(user.id).map((r) => r.team_id))]
  }
}
