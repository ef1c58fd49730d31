/**
 * What an OpenStack token can see. Nova, Cinder and Neutron answer 404 — not 403 — for another
 * project's object to a token that may not see it, and Cinder and Neutron list only the caller's
 * project when `all_tenants` is not allowed: only a token with the admin role (Keystone's default
 * policies) is proven to see every project, so that its 404 means "gone".
 */
export function tokenSeesAllProjects(roles: readonly string[]): boolean {
  return roles.some((r) => r.toLowerCase() === 'admin')
}
