import type {Concertim} from '../concertim/index.js'
import type {HttpContext} from '../http/index.js'
import {CheckChain, CheckFailure, type CheckResult} from './check.js'
import {probeUrl} from './reachability.js'

/** Concertim's app (reachability, TLS, login, a root user, the tagged templates) and the MRD. */
export async function checkConcertim(ct: Concertim, urls: {app: string; mrd: string}, ctx: HttpContext): Promise<CheckResult[]> {
  const chain = new CheckChain('concertim')
  await chain.step('app reachable', () => probeUrl('concertim', urls.app, ctx))
  await chain.step('login', async () => {
    await ct.api.login()
    return 'signed in; JWT received'
  })
  await chain.step('user is root', async () => {
    const me = await ct.api.currentUser()
    if (!me.root) {
      throw new CheckFailure(`user '${me.login}' is not a root (admin) user: Concertim lets only root create templates, racks with an order id and devices`, 'set concertim.concertim_username to a root user of Concertim (e.g. admin)')
    }
    return `'${me.login}' is root`
  }, {blocking: false})
  await chain.step('tagged templates', async () => {
    const templates = await ct.api.templates()
    const tags = new Set(templates.map((t) => t.tag).filter(Boolean))
    const missing = ['volume', 'network'].filter((t) => !tags.has(t))
    if (missing.length > 0) {
      throw new CheckFailure(`no template tagged ${missing.map((t) => `'${t}'`).join(' or ')}: volumes and networks cannot be shown`, "Concertim seeds them on install (db:seed); restore the templates with tags 'volume' and 'network'")
    }
    return `templates tagged 'volume' and 'network' exist (${templates.length} templates)`
  }, {blocking: false})
  const mrd = new CheckChain('concertim-mrd')
  await mrd.step('metric daemon reachable', async () => {
    const detail = await probeUrl('mrd', `${urls.mrd.replace(/\/+$/, '')}/status`, ctx)
    if (!/HTTP 200/.test(detail)) throw new CheckFailure(`${detail} (expected 200 from its /status)`, 'concertim.mrd_url must be the metric reporting daemon (through the proxy: <concertim_url>/mrd)')
    return detail
  })
  return [...chain.results, ...mrd.results]
}
