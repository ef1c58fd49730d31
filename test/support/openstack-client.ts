/** A few helpers for tests that talk to the simulated OpenStack with node's fetch. */
import type {Simulator} from '../../src/sim/index.js'

export interface Session {
  projectId: string
  token: string
}

export async function login(sim: Simulator, user = sim.credentials.keystone.username, password = sim.credentials.keystone.password, projectName = 'admin'): Promise<Session> {
  const res = await fetch(`${sim.endpoints.keystone}/v3/auth/tokens`, {
    body: JSON.stringify({
      auth: {
        identity: {methods: ['password'], password: {user: {domain: {name: 'Default'}, name: user, password}}},
        scope: {project: {domain: {id: 'default'}, name: projectName}},
      },
    }),
    headers: {'content-type': 'application/json'},
    method: 'POST',
  })
  if (res.status !== 201) throw new Error(`login ${user}: ${res.status} ${await res.text()}`)
  const body = (await res.json()) as {token: {project: {id: string}}}
  return {projectId: body.token.project.id, token: res.headers.get('x-subject-token') ?? ''}
}

export async function getJson(url: string, token: string, headers: Record<string, string> = {}): Promise<{body: unknown; headers: Headers; status: number}> {
  const res = await fetch(url, {headers: {'x-auth-token': token, ...headers}, redirect: 'manual'})
  const text = await res.text()
  return {body: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers, status: res.status}
}

export async function postJson(url: string, token: string, body: unknown): Promise<{body: unknown; headers: Headers; status: number}> {
  const res = await fetch(url, {body: JSON.stringify(body), headers: {'content-type': 'application/json', 'x-auth-token': token}, method: 'POST'})
  const text = await res.text()
  return {body: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers, status: res.status}
}
