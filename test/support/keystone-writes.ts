/**
 * One sequence of Keystone identity writes (and the reads that pair with them), made with plain
 * `fetch`: test/real/keystone-writes.test.ts runs it against a real Keystone and records the answers
 * in test/fixtures/recorded/keystone-writes.json; test/integration/sim/keystone-writes.test.ts runs
 * it against the simulator and compares (status, body shape, error message). Everything it creates
 * it deletes again.
 */
export interface WriteAnswer {
  body: unknown
  status: number
}

export interface WriteTargets {
  /** Keystone root (no /v3). */
  base: string
  /** A role to grant (e.g. member's id). */
  roleId: string
  token: string
  /** A name prefix for what it creates (`cos-test-…`): nothing else is touched. */
  prefix: string
}

export const MISSING = '0000000000000000000000000000beef'

/** Run the sequence; returns the answers by step name (bodies as received). */
export async function keystoneWriteSequence(t: WriteTargets): Promise<Record<string, WriteAnswer>> {
  const out: Record<string, WriteAnswer> = {}
  const call = async (name: string, method: string, path: string, body?: unknown): Promise<WriteAnswer> => {
    const res = await fetch(`${t.base}${path}`, {body: body === undefined ? undefined : JSON.stringify(body), headers: {accept: 'application/json', ...(body === undefined ? {} : {'content-type': 'application/json'}), 'x-auth-token': t.token}, method})
    const text = await res.text()
    let parsed: unknown = text === '' ? null : text
    try {
      parsed = text === '' ? null : JSON.parse(text)
    } catch {
      /* text */
    }
    out[name] = {body: parsed, status: res.status}
    return out[name]
  }
  const userName = `${t.prefix}user`
  const projectName = `${t.prefix}project`
  const user = {description: 'Concertim Managed User', domain_id: 'default', email: 'cos-test@example.com', enabled: true, name: userName, password: 'cos-test-Password-1'}
  const project = {description: 'Concertim Managed Project', domain_id: 'default', enabled: true, name: projectName}
  const createdUser = await call('create-user', 'POST', '/v3/users', {user})
  const userId = (createdUser.body as {user?: {id?: string}})?.user?.id ?? MISSING
  const createdProject = await call('create-project', 'POST', '/v3/projects', {project})
  const projectId = (createdProject.body as {project?: {id?: string}})?.project?.id ?? MISSING
  try {
    await call('create-user-duplicate', 'POST', '/v3/users', {user})
    await call('create-project-duplicate', 'POST', '/v3/projects', {project})
    await call('create-user-unknown-domain', 'POST', '/v3/users', {user: {...user, domain_id: MISSING, name: `${userName}-x`}})
    await call('find-user-by-name', 'GET', `/v3/users?name=${encodeURIComponent(userName)}&domain_id=default`)
    await call('find-project-by-name', 'GET', `/v3/projects?name=${encodeURIComponent(projectName)}&domain_id=default`)
    const grant = `/v3/projects/${projectId}/users/${userId}/roles/${t.roleId}`
    await call('check-grant-missing', 'HEAD', grant)
    await call('grant', 'PUT', grant)
    await call('grant-again', 'PUT', grant)
    await call('check-grant', 'HEAD', grant)
    await call('grant-unknown-role', 'PUT', `/v3/projects/${projectId}/users/${userId}/roles/${MISSING}`)
    await call('grant-unknown-user', 'PUT', `/v3/projects/${projectId}/users/${MISSING}/roles/${t.roleId}`)
    await call('assignments-of-project', 'GET', `/v3/role_assignments?scope.project.id=${projectId}`)
    await call('assignments-of-user-on-project', 'GET', `/v3/role_assignments?user.id=${userId}&scope.project.id=${projectId}`)
    await call('assignments-by-role', 'GET', `/v3/role_assignments?scope.project.id=${projectId}&role.id=${t.roleId}`)
    await call('revoke', 'DELETE', grant)
    await call('revoke-again', 'DELETE', grant)
  } finally {
    await call('delete-user', 'DELETE', `/v3/users/${userId}`)
    await call('delete-project', 'DELETE', `/v3/projects/${projectId}`)
  }
  await call('delete-user-again', 'DELETE', `/v3/users/${userId}`)
  await call('delete-project-again', 'DELETE', `/v3/projects/${projectId}`)
  await call('get-deleted-user', 'GET', `/v3/users/${userId}`)
  return out
}

/** Ids, names and URLs replaced by placeholders, so that a recording compares with another cloud. */
export function normaliseWrites(answers: Record<string, WriteAnswer>, t: Pick<WriteTargets, 'base' | 'prefix'>): Record<string, WriteAnswer> {
  const norm = (v: unknown): unknown => {
    if (typeof v === 'string') return v.split(t.base).join('{keystone}').split(t.prefix).join('{prefix}').replaceAll(/\b[0-9a-f]{32}\b/g, (id) => (id === MISSING ? '{missing}' : '{id}'))
    if (Array.isArray(v)) return v.map((x) => norm(x))
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)]))
    return v
  }
  return norm(answers) as Record<string, WriteAnswer>
}
