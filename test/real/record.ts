/**
 * Records what a REAL OpenStack answers to every call the simulator serves (the table in
 * test/support/recorded-calls.ts) into test/fixtures/recorded/<service>.json, normalised and trimmed,
 * for test/integration/sim/recorded.test.ts. With `--notifications` it also captures real
 * notifications (its own exclusive queue bound to every notification exchange, never the shared
 * `notifications.info` queue) while it drives the cloud with /usr/bin/openstack (server stop/start,
 * a Heat stack created, updated, failed and deleted), merges the minicloud's seed capture, and keeps
 * one body per event type in test/fixtures/recorded/notifications.json.
 *
 *   . /work/shared/minicloud/adminrc && npm run record:real [-- --notifications] [-- --only gnocchi,keystone]
 */
import amqp from 'amqplib'
import {execFile} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {parseLenientJson} from '../../src/lib/http/json-body.js'
import {CALLS, type CallService, type CallTargets, HEADERS_OF_INTEREST, normalise, type RecordedAnswer, resolve, VOLATILE_HEADERS} from '../support/recorded-calls.js'

const OUT = fileURLToPath(new URL('../fixtures/recorded/', import.meta.url))
const env = process.env
const run = promisify(execFile)

interface Session {
  catalog: {endpoints: {interface: string; url: string}[]; type: string}[]
  projectId: string
  token: string
  userId: string
}

async function login(username: string, password: string, projectName: string): Promise<Session> {
  const res = await fetch(`${env.OS_AUTH_URL}/auth/tokens`, {
    body: JSON.stringify({auth: {identity: {methods: ['password'], password: {user: {domain: {name: 'Default'}, name: username, password}}}, scope: {project: {domain: {name: 'Default'}, name: projectName}}}}),
    headers: {'content-type': 'application/json'},
    method: 'POST',
  })
  if (res.status !== 201) throw new Error(`login ${username}: ${res.status}`)
  const body = (await res.json()) as {token: {catalog: Session['catalog']; project: {id: string}; user: {id: string}}}
  return {catalog: body.token.catalog, projectId: body.token.project.id, token: res.headers.get('x-subject-token') ?? '', userId: body.token.user.id}
}

async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, {headers: {'x-auth-token': token}})
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`)
  return (await res.json()) as T
}

/** Service roots (scheme://host:port) from the catalog. */
function roots(s: Session): Record<CallService, string> {
  const root = (type: string) => {
    const url = s.catalog.find((c) => c.type === type)?.endpoints.find((e) => e.interface === 'public')?.url
    if (url === undefined) throw new Error(`no ${type} endpoint`)
    return new URL(url).origin
  }
  return {cinder: root('volumev3'), glance: root('image'), gnocchi: root('metric'), heat: root('orchestration'), keystone: new URL(env.OS_AUTH_URL ?? '').origin, neutron: root('network'), nova: root('compute')}
}

async function targets(admin: Session, member: Session, base: Record<CallService, string>): Promise<CallTargets> {
  type Items<K extends string> = Record<K, {id: string; name?: string}[]>
  const servers = await getJson<{servers: {addresses: Record<string, unknown>; id: string}[]}>(`${base.nova}/v2.1/servers/detail?all_tenants=1`, admin.token)
  const resources = await getJson<{ended_at: string | null; id: string; metrics: Record<string, string>}[]>(`${base.gnocchi}/v1/resource/instance`, admin.token)
  const metered = new Set(resources.filter((r) => r.ended_at === null).map((r) => r.id))
  const server = servers.servers.find((s) => Object.keys(s.addresses).length > 0 && metered.has(s.id)) ?? servers.servers[0]
  const flavors = await getJson<Items<'flavors'>>(`${base.nova}/v2.1/flavors`, admin.token)
  const stacks = await getJson<{stacks: {id: string; stack_name: string}[]}>(`${base.heat}/v1/${member.projectId}/stacks`, member.token)
  const volumes = await getJson<Items<'volumes'>>(`${base.cinder}/v3/${admin.projectId}/volumes?all_tenants=1`, admin.token)
  const networks = await getJson<Items<'networks'>>(`${base.neutron}/v2.0/networks`, admin.token)
  const roles = await getJson<Items<'roles'>>(`${base.keystone}/v3/roles?name=member`, admin.token)
  const domains = await getJson<Items<'domains'>>(`${base.keystone}/v3/domains?name=Default`, admin.token)
  const metric = resources.find((r) => r.id === server.id) ?? resources[0]
  return {
    domainId: domains.domains[0].id,
    flavorId: flavors.flavors[0].id,
    gnocchiMetricId: metric.metrics['memory.usage'],
    gnocchiResourceId: metric.id,
    memberProjectId: member.projectId,
    networkId: networks.networks[0].id,
    projectId: admin.projectId,
    roleId: roles.roles[0].id,
    serverId: server.id,
    stackId: stacks.stacks[0].id,
    stackName: stacks.stacks[0].stack_name,
    userId: admin.userId,
    volumeId: volumes.volumes[0].id,
  }
}

async function recordHttp(): Promise<void> {
  const admin = await login(env.OS_USERNAME ?? 'admin', env.OS_PASSWORD ?? '', env.OS_PROJECT_NAME ?? 'admin')
  const memberUser = env.RECORD_MEMBER_USER ?? 'alice'
  const member = await login(memberUser, env.RECORD_MEMBER_PASSWORD ?? memberUser, env.RECORD_MEMBER_PROJECT ?? 'acme')
  const base = roots(admin)
  const t = {...(await targets(admin, member, base)), password: env.OS_PASSWORD ?? '', projectName: env.OS_PROJECT_NAME ?? 'admin', username: env.OS_USERNAME ?? 'admin'}
  // `--only gnocchi,nova`: record those services' calls and keep the other recordings as they are.
  const onlyArg = process.argv.find((a, i) => process.argv[i - 1] === '--only')
  const only = onlyArg === undefined ? undefined : new Set(onlyArg.split(','))
  const out: Record<string, Record<string, unknown>> = {}
  for (const call of CALLS) {
    if (only !== undefined && !only.has(call.service)) continue
    const url = `${base[call.service]}${resolve(call.path, t)}`
    const headers: Record<string, string> = {accept: 'application/json', ...call.headers}
    if (call.as !== 'none') headers['x-auth-token'] = (call.as === 'admin' ? admin : member).token
    if (call.body !== undefined) headers['content-type'] = 'application/json'
     
    const answer = await fetchAnswer(url, call.method, headers, call.body === undefined ? undefined : resolve(JSON.stringify(call.body), t), base)
    const entry: Record<string, unknown> = {answer: strip(answer), path: call.path}
    if (call.next) {
      const link = nextLink(answer, call)
      if (link !== undefined) {
         
        entry.nextPage = strip(await fetchAnswer(link, 'GET', headers, undefined, base))
      }
    }
    ;(out[call.service] ??= {})[call.name] = entry
    console.log(`${String(answer.status).padEnd(4)} ${call.method} ${call.service} ${call.path}`)
  }
  for (const [service, fresh] of Object.entries(out)) {
    const file = join(OUT, `${service}.json`)
    const kept = only !== undefined && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as {calls: Record<string, unknown>}).calls : {}
    const calls = {...kept, ...fresh}
    writeFileSync(join(OUT, `${service}.json`), `${JSON.stringify({calls, recordedFrom: 'minicloud (OpenStack Zed, Debian bookworm packages)'}, null, 2)}\n`)
  }
}

function strip(a: RecordedAnswer): RecordedAnswer {
  return {body: a.body, headers: a.headers, status: a.status, ...(a.nonFinite ? {nonFinite: true} : {})}
}

function nextLink(a: RecordedAnswer & {rawBody?: unknown; rawLink?: string}, call: (typeof CALLS)[number]): string | undefined {
  if (call.next?.kind === 'header') return a.rawLink
  const links = (a.rawBody as Record<string, {href: string; rel: string}[] | undefined>)[call.next?.kind === 'body' ? call.next.key : '']
  return links?.find((l) => l.rel === 'next')?.href
}

async function fetchAnswer(url: string, method: string, headers: Record<string, string>, body: string | undefined, base: Record<CallService, string>): Promise<RecordedAnswer & {rawBody?: unknown; rawLink?: string}> {
  const res = await fetch(url, {body, headers, method, redirect: 'manual'})
  const text = await res.text()
  let parsed: unknown = text
  let nonFinite = false
  try {
    parsed = text === '' ? null : JSON.parse(text)
  } catch {
    // Gnocchi writes numpy's NaN bare (Python's json default): keep the body, and say so.
    if (/\bNaN\b|\bInfinity\b/.test(text)) {
      parsed = parseLenientJson(text)
      nonFinite = true
    }
  }
  const recorded: Record<string, string> = {}
  for (const h of HEADERS_OF_INTEREST) {
    const v = res.headers.get(h)
    if (v !== null) recorded[h] = VOLATILE_HEADERS.has(h) ? '<present>' : (normalise(v, base) as string)
  }
  const link = res.headers.get('link')?.match(/<([^>]+)>;\s*rel="next"/)?.[1]
  return {body: normalise(parsed, base), headers: recorded, rawBody: parsed, rawLink: link, status: res.status, ...(nonFinite ? {nonFinite} : {})}
}

// ---------------------------------------------------------------------------------------------
// Notifications

const EXCHANGES = ['nova', 'heat', 'cinder', 'openstack', 'neutron', 'keystone', 'glance']

interface Captured {
  body: string
  exchange: string
  properties: Record<string, unknown>
  routing_key: string
}

async function openstack(...args: string[]): Promise<void> {
  await run('/usr/bin/openstack', args, {env: process.env, timeout: 300_000})
}

async function captureNotifications(): Promise<void> {
  const conn = await amqp.connect(env.RECORD_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672')
  const ch = await conn.createChannel()
  const {queue} = await ch.assertQueue('', {autoDelete: true, exclusive: true})
  for (const ex of EXCHANGES) {
     
    await ch.assertExchange(ex, 'topic', {autoDelete: false, durable: false})
    for (const key of ['notifications.*', 'versioned_notifications.*']) {
       
      await ch.bindQueue(queue, ex, key)
    }
  }
  const captured: Captured[] = []
  await ch.consume(queue, (m) => {
    if (m === null) return
    const {contentEncoding, contentType, deliveryMode, headers, priority} = m.properties
    captured.push({body: m.content.toString('utf8'), exchange: m.fields.exchange, properties: {content_encoding: contentEncoding, content_type: contentType, delivery_mode: deliveryMode, headers, priority}, routing_key: m.fields.routingKey})
  }, {noAck: true})

  const dir = mkdtempSync(join(tmpdir(), 'record-'))
  writeFileSync(join(dir, 'ok.yaml'), 'heat_template_version: 2018-08-31\nparameters:\n  v: {type: string, default: one}\nresources:\n  r:\n    type: OS::Heat::TestResource\n    properties: {value: {get_param: v}}\noutputs:\n  out:\n    value: {get_attr: [r, output]}\n')
  writeFileSync(join(dir, 'fail.yaml'), 'heat_template_version: 2018-08-31\nresources:\n  r:\n    type: OS::Heat::TestResource\n    properties: {fail: true}\n')
  const {stdout} = await run('/usr/bin/openstack', ['server', 'list', '--all-projects', '-f', 'value', '-c', 'ID', '--limit', '1'], {env: process.env})
  const serverId = stdout.trim().split('\n')[0]
  await openstack('server', 'stop', serverId)
  await waitFor(captured, 'instance.power_off.end')
  await openstack('server', 'start', serverId)
  await waitFor(captured, 'instance.power_on.end')
  await openstack('stack', 'create', '-t', join(dir, 'ok.yaml'), '--wait', 'record-ok')
  await openstack('stack', 'update', '-t', join(dir, 'ok.yaml'), '--parameter', 'v=two', '--wait', 'record-ok')
  await openstack('stack', 'create', '-t', join(dir, 'fail.yaml'), '--wait', 'record-fail').catch(() => undefined)
  await openstack('stack', 'delete', '-y', '--wait', 'record-ok')
  await openstack('stack', 'delete', '-y', '--wait', 'record-fail')
  await waitFor(captured, 'orchestration.stack.delete.end')
  await conn.close()

  const seed = '/work/shared/minicloud/captured/seed-run.jsonl'
  if (existsSync(seed)) for (const line of readFileSync(seed, 'utf8').split('\n').filter(Boolean)) captured.push(JSON.parse(line) as Captured)
  const byType: Record<string, Captured & {event_type: string}> = {}
  for (const c of captured) {
    const type = eventType(c.body)
    if (type !== undefined && byType[type] === undefined) byType[type] = {...c, event_type: type}
  }
  // What the simulator emits (no scheduler, flavor or audit `exists` events); one line per event type.
  const kept = Object.entries(byType).filter(([type]) => !/^(scheduler|flavor)\.|\.exists$/.test(type)).sort(([a], [b]) => (a < b ? -1 : 1))
  writeFileSync(join(OUT, 'notifications.json'), `{\n${kept.map(([type, c]) => `${JSON.stringify(type)}: ${JSON.stringify(c)}`).join(',\n')}\n}\n`)
  console.log(`${Object.keys(byType).length} notification types recorded`)
}

function eventType(body: string): string | undefined {
  const outer = JSON.parse(body) as Record<string, unknown>
  const inner = typeof outer['oslo.message'] === 'string' ? (JSON.parse(outer['oslo.message']) as Record<string, unknown>) : outer
  return typeof inner.event_type === 'string' ? inner.event_type : undefined
}

async function waitFor(captured: Captured[], type: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (captured.some((c) => eventType(c.body) === type)) return
     
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error(`no ${type} notification within 60 s`)
}

if (!env.OS_AUTH_URL) throw new Error('source an openrc first (e.g. . /work/shared/minicloud/adminrc)')
await recordHttp()
if (process.argv.includes('--notifications')) await captureNotifications()
