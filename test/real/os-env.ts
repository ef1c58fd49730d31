/**
 * The configuration's `openstack:` section from the usual OS_* variables (`. adminrc` of the
 * minicloud), for the suites that talk to a real cloud; `extra` overrides or adds keys.
 */
import {env} from 'node:process'

export function sectionFromEnv(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auth_url: env.OS_AUTH_URL,
    interface: env.OS_INTERFACE,
    password: env.OS_PASSWORD,
    project_domain_name: env.OS_PROJECT_DOMAIN_NAME ?? 'Default',
    project_id: env.OS_PROJECT_ID,
    project_name: env.OS_PROJECT_NAME,
    region_name: env.OS_REGION_NAME,
    user_domain_name: env.OS_USER_DOMAIN_NAME ?? 'Default',
    username: env.OS_USERNAME,
    ...extra,
  }
}
