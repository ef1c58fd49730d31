/**
 * The simulated CloudKitty answers `GET /v2/summary` as real CloudKitty 17 does
 * (/work/shared/fixtures/api/cloudkitty, recorded against the minicloud): the same shapes and
 * columns for each query form, `groupby` repeated or comma-separated, filters, paging (`total`
 * stays the full count; past the end no rows and no columns), `response_format=object`, the 400 and
 * 401 bodies, and a project member seeing only the own project.
 */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import {getJson, login, type Session} from '../../support/openstack-client.js'
import {shapeDifferences, shapeOf} from '../../support/shape.js'

const DIR = '/work/shared/fixtures/api/cloudkitty'

interface Recorded {
  body: Record<string, unknown>
  request: {query: [string, string][]}
  status: number
}

const fixture = (name: string): Recorded => JSON.parse(readFileSync(`${DIR}/${name}`, 'utf8')) as Recorded

/**
 * Shape differences of two summaries: the same top-level keys; table rows compared cell by cell
 * with the first real row (a row mixes strings and numbers, so the generic array rule does not fit).
 */
function summaryDifferences(expected: Record<string, unknown>, actual: unknown): string[] {
  const a = actual as Record<string, unknown>
  const out: string[] = []
  const keys = (o: object) => Object.keys(o).sort().join(',')
  if (keys(expected) !== keys(a)) out.push(`keys: expected ${keys(expected)}, got ${keys(a)}`)
  const exp = expected.results as unknown[]
  const act = (a.results ?? []) as unknown[]
  if (exp.length === 0 || act.length === 0) return out
  if (!Array.isArray(exp[0])) return [...out, ...act.flatMap((row) => shapeDifferences(exp[0], row))]
  const first = exp[0] as unknown[]
  for (const row of act as unknown[][]) {
    if (row.length !== first.length) out.push(`row length: expected ${first.length}, got ${row.length}`)
    row.forEach((cell, i) => {
      const [e, g] = [shapeOf(first[i]), shapeOf(cell)]
      if (e !== g && e !== 'null' && g !== 'null') out.push(`cell ${i}: expected ${e}, got ${g}`)
    })
  }
  return [...new Set(out)]
}

/** The fixture's query, with its project ids and month replaced by the simulator's. */
function queryOf(rec: Recorded, projects: Record<string, string>): string {
  const q = new URLSearchParams()
  for (const [k, v] of rec.request.query) {
    let value = v
    for (const [real, sim] of Object.entries(projects)) value = value.replace(real, sim)
    q.append(k, value)
  }
  return q.toString()
}

describe('simulated CloudKitty conforms to real CloudKitty 17 (v2 summary)', () => {
  let sim: Simulator
  let admin: Session
  let member: Session
  let projects: Record<string, string>

  before(async () => {
    sim = await startSimulator({preset: 'small', seed: 7})
    admin = await login(sim)
    const team = sim.cloud.teams[0]
    member = await login(sim, `CM_${team.users[1].login}`, team.users[1].password, team.projectName)
    // acme and globex of the minicloud → two simulated teams.
    projects = {'0fafa0fa513944a0983265d9d7ae2f29': team.projectId, e9cadfcb4d974dacbf023a81d650ea96: sim.cloud.teams[1].projectId}
  })
  after(async () => sim.stop())

  const shapeCases = [
    'v2_summary.json',
    'v2_summary_groupby_id_type_project_id.json',
    'v2_summary_groupby_comma_id_type_project_id.json',
    'v2_summary_groupby_project_id.json',
    'v2_summary_groupby_type.json',
    'v2_summary_filter_project_acme.json',
    'v2_summary_filter_project_globex_type_instance.json',
    'v2_summary_page1_offset0_limit5.json',
    'v2_summary_page2_offset5_limit5.json',
    'v2_summary_response_format_object.json',
  ]
  for (const name of shapeCases) {
    it(`${name}: same status, shape, columns and format`, async () => {
      const rec = fixture(name)
      const res = await getJson(`${sim.endpoints.cloudkitty}/v2/summary?${queryOf(rec, projects)}`, admin.token)
      expect(res.status).to.equal(rec.status)
      expect(summaryDifferences(rec.body, res.body)).to.deep.equal([])
      const body = res.body as {columns?: string[]; format: string; results: unknown[]; total: number}
      expect(body.format).to.equal(rec.body.format)
      expect(body.results.length).to.be.greaterThan(0)
      if (rec.body.columns) expect(body.columns).to.deep.equal(rec.body.columns)
      else expect(Object.keys(body.results[0] as object).sort()).to.deep.equal(Object.keys((rec.body.results as object[])[0]).sort())
    })
  }

  it('rows carry the requested bounds with +00:00, the month by default', async () => {
    const rec = fixture('v2_summary.json')
    const res = await getJson(`${sim.endpoints.cloudkitty}/v2/summary`, admin.token)
    const row = (res.body as {results: string[][]}).results[0]
    const real = (rec.body.results as string[][])[0]
    expect(row[0]).to.match(/^\d{4}-\d{2}-01T00:00:00\+00:00$/)
    expect(real[0]).to.match(/^\d{4}-\d{2}-01T00:00:00\+00:00$/)
    const month = await getJson(`${sim.endpoints.cloudkitty}/v2/summary?${new URLSearchParams({begin: '2026-12-01T00:00:00+00:00', end: '2027-01-01T00:00:00+00:00', groupby: 'project_id'}).toString()}`, admin.token)
    const m = month.body as {results: string[][]}
    expect(m.results.every((r) => r[0] === '2026-12-01T00:00:00+00:00' && r[1] === '2027-01-01T00:00:00+00:00')).to.equal(true)
  })

  it('paging: total stays the full count, pages do not overlap, past the end no rows and no columns', async () => {
    const base = `${sim.endpoints.cloudkitty}/v2/summary?groupby=id&groupby=type&groupby=project_id`
    const all = (await getJson(`${base}&limit=1000`, admin.token)).body as {results: unknown[][]; total: number}
    const p1 = (await getJson(`${base}&offset=0&limit=5`, admin.token)).body as {results: unknown[][]; total: number}
    const p2 = (await getJson(`${base}&offset=5&limit=5`, admin.token)).body as {results: unknown[][]; total: number}
    expect(p1.total).to.equal(all.total)
    expect(p2.total).to.equal(all.total)
    expect([...p1.results, ...p2.results]).to.deep.equal(all.results.slice(0, 10))
    const past = await getJson(`${base}&offset=1000&limit=5`, admin.token)
    const real = fixture('v2_summary_offset_past_end.json').body
    expect(past.body).to.deep.equal({...real, total: all.total})
  })

  it('an empty range: the real empty answer', async () => {
    const rec = fixture('v2_summary_empty_range.json')
    const res = await getJson(`${sim.endpoints.cloudkitty}/v2/summary?${queryOf(rec, projects)}`, admin.token)
    expect(res.body).to.deep.equal(rec.body)
  })

  it('a bad begin: 400 with the real message', async () => {
    const rec = fixture('v2_summary_bad_begin_400.json')
    const res = await getJson(`${sim.endpoints.cloudkitty}/v2/summary?${queryOf(rec, projects)}`, admin.token)
    expect(res.status).to.equal(400)
    expect(res.body).to.deep.equal(rec.body)
  })

  it('no token: 401 with the real body', async () => {
    const rec = fixture('v2_summary_no_token_401.json')
    const res = await fetch(`${sim.endpoints.cloudkitty}/v2/summary`)
    expect(res.status).to.equal(401)
    expect(await res.json()).to.deep.equal(rec.body)
  })

  it("a project member sees only the own project's rows (as alice in acme)", async () => {
    const rec = fixture('v2_summary_as_alice_acme_member.json')
    const res = await getJson(`${sim.endpoints.cloudkitty}/v2/summary?${queryOf(rec, projects)}`, member.token)
    expect(res.status).to.equal(200)
    expect(summaryDifferences(rec.body, res.body)).to.deep.equal([])
    const body = res.body as {columns: string[]; results: unknown[][]}
    const realProjects = new Set((rec.body.results as unknown[][]).map((r) => r[6]))
    expect(realProjects.size).to.equal(1)
    expect(new Set(body.results.map((r) => r[body.columns.indexOf('project_id')]))).to.deep.equal(new Set([member.projectId]))
  })
})
