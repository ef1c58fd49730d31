/**
 * Keystone as the identity functions look things up: users and projects of the configured domain by
 * name or id, roles by name, and the service users of the project grants — each read once per run
 * and kept. A bulk run (`users create --pending`) preloads the domain's users and projects with two
 * paged listings instead of one lookup per name.
 */
import type {KeystoneSession} from '../openstack/keystone.js'
import type {KeystoneProject, KeystoneUser} from '../openstack/types.js'
import {IdentityInputError} from './errors.js'
import {activeGrants, type IdentitySettings} from './settings.js'
import type {ResolvedGrant} from './steps.js'

export class KeystoneDirectory {
  private grants?: Promise<ResolvedGrant[]>
  private projectsById?: Map<string, KeystoneProject>
  private projectsByName?: Map<string, KeystoneProject>
  private roles?: Promise<Map<string, string>>
  private usersById?: Map<string, KeystoneUser>
  private usersByName?: Map<string, KeystoneUser>

  constructor(
    readonly keystone: KeystoneSession,
    readonly settings: IdentitySettings,
  ) {}

  /** Read every user and project of the domain now (two paged listings), for many lookups. */
  async preload(): Promise<void> {
    const domainId = this.settings.domainId
    const [users, projects] = await Promise.all([this.keystone.listUsers({domain_id: domainId}), this.keystone.listProjects({domain_id: domainId})])
    // A listing Keystone's list_limit cut short is incomplete: then every lookup asks Keystone.
    if (!users.truncated) {
      this.usersByName = new Map(users.items.map((u) => [u.name, u]))
      this.usersById = new Map(users.items.map((u) => [u.id, u]))
    }
    if (!projects.truncated) {
      this.projectsByName = new Map(projects.items.map((p) => [p.name, p]))
      this.projectsById = new Map(projects.items.map((p) => [p.id, p]))
    }
  }

  async userByName(name: string): Promise<KeystoneUser | undefined> {
    if (this.usersByName !== undefined) return this.usersByName.get(name)
    return (await this.keystone.findUsersByName(name, this.settings.domainId))[0]
  }

  /** A linked user may live in another domain: not in the preloaded listing, then asked for. */
  async userById(id: string): Promise<KeystoneUser | null> {
    return this.usersById?.get(id) ?? this.keystone.getUser(id)
  }

  async projectByName(name: string): Promise<KeystoneProject | undefined> {
    if (this.projectsByName !== undefined) return this.projectsByName.get(name)
    return (await this.keystone.findProjectsByName(name, this.settings.domainId))[0]
  }

  async projectById(id: string): Promise<KeystoneProject | null> {
    return this.projectsById?.get(id) ?? this.keystone.getProject(id)
  }

  /** A role's id by name; a role Keystone lacks is a configuration problem (exit 2). */
  async role(name: string): Promise<{id: string; name: string}> {
    this.roles ??= this.keystone.listRoles().then((r) => new Map(r.items.map((x) => [x.name, x.id])))
    const id = (await this.roles).get(name)
    if (id === undefined) throw new IdentityInputError(`Keystone has no role '${name}'`, `create it (openstack role create ${name}) or change identity.project_grants`, 'E_IDENTITY_ROLE')
    return {id, name}
  }

  /** The service grants of every team project, resolved to ids once. */
  async resolvedGrants(): Promise<ResolvedGrant[]> {
    this.grants ??= Promise.all(
      activeGrants(this.settings).map(async (g) => {
        const preloaded = g.userDomainId === this.settings.domainId ? this.usersByName?.get(g.user) : undefined
        const [role, users] = await Promise.all([this.role(g.role), preloaded === undefined ? this.keystone.findUsersByName(g.user, g.userDomainId) : [preloaded]])
        if (users.length === 0) {
          throw new IdentityInputError(`Keystone has no user '${g.user}' in domain '${g.userDomainId}' to grant role '${g.role}' on team projects`, 'fix identity.project_grants (user, user_domain_id) or create that service user', 'E_IDENTITY_GRANT_USER')
        }
        return {roleId: role.id, roleName: role.name, userId: users[0].id, userName: g.user}
      }),
    )
    return this.grants
  }

  /** Keep what this run made or adopted, so later lookups of the run see it. */
  rememberProject(p: KeystoneProject): void {
    this.projectsByName?.set(p.name, p)
    this.projectsById?.set(p.id, p)
  }

  rememberUser(u: KeystoneUser): void {
    this.usersByName?.set(u.name, u)
    this.usersById?.set(u.id, u)
  }

  /** Drop what a rollback removed. */
  forget(kind: 'project' | 'user', id: string): void {
    const [byId, byName] = kind === 'user' ? [this.usersById, this.usersByName] : [this.projectsById, this.projectsByName]
    const o = byId?.get(id)
    if (o === undefined) return
    byId?.delete(id)
    byName?.delete(o.name)
  }
}
