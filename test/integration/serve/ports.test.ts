/**
 * The identity and billing routes of `serve` over their ports (src/lib/api/ports.ts): without an
 * implementation they answer 501 in the app's error shape; with one (a fake here, the real
 * libraries once wired) the route layer validates the app's bodies, passes on what the app sends
 * back on a retry, and maps refusals and outside failures to honest statuses.
 */
import {expect} from 'chai'

import {HttpError} from '../../../src/lib/http/index.js'
import {clearSecrets} from '../../../src/lib/output/redact.js'
import {type BillingService, type IdentityService, type Invoice, ServiceRefusal} from '../../../src/lib/api/ports.js'
import {JobCallError} from '../../../src/sim/concertim/job-runner.js'
import {type ServeWorld, startServeWorld} from './support.js'
import {failure as failed} from '../../support/failure.js'

const failure = async (p: Promise<unknown>): Promise<JobCallError> => failed(p, JobCallError)

/** An identity service that keeps what it made and is idempotent as the contract asks; `down` makes Kill Bill fail. */
class FakeIdentity implements IdentityService {
  calls: string[] = []
  down = 0
  readonly projects = new Map<string, string>()
  readonly roles = new Set<string>()
  readonly users = new Map<string, string>()
  private n = 0

  async changeRole(req: Parameters<IdentityService['changeRole']>[0]): Promise<void> {
    this.calls.push('changeRole')
    this.roles.add(`${req.userId}/${req.projectId}/${req.newRole}`)
    this.roles.delete(`${req.userId}/${req.projectId}/${req.currentRole}`)
  }

  async createTeam(req: Parameters<IdentityService['createTeam']>[0]): Promise<{billingAcctId: string; projectId: string}> {
    this.calls.push(`createTeam ${req.projectId ?? '-'} ${req.billingAcctId ?? '-'}`)
    const projectId = req.projectId ?? this.projects.get(req.name) ?? `p${++this.n}`
    this.projects.set(req.name, projectId)
    if (this.down > 0) {
      this.down--
      throw new HttpError({kind: 'network', method: 'POST', problem: 'could not connect (ECONNREFUSED)', system: 'killbill', url: 'http://killbill:8080/1.0/kb/accounts'})
    }
    return {billingAcctId: req.billingAcctId ?? `acct-${projectId}`, projectId}
  }

  async createUser(req: Parameters<IdentityService['createUser']>[0]): Promise<{userCloudId: string; username: string}> {
    this.calls.push('createUser')
    const id = this.users.get(req.username) ?? `u${++this.n}`
    this.users.set(req.username, id)
    return {userCloudId: id, username: req.username}
  }

  async deleteTeam(): Promise<void> {
    this.calls.push('deleteTeam')
  }

  async deleteUser(req: Parameters<IdentityService['deleteUser']>[0]): Promise<void> {
    this.calls.push('deleteUser')
    for (const [k, v] of this.users) if (v === req.cloudUserId) this.users.delete(k)
  }

  async grantRole(req: Parameters<IdentityService['grantRole']>[0]): Promise<void> {
    this.calls.push('grantRole')
    this.roles.add(`${req.userId}/${req.projectId}/${req.role}`)
  }

  async revokeRole(req: Parameters<IdentityService['revokeRole']>[0]): Promise<void> {
    this.calls.push('revokeRole')
    this.roles.delete(`${req.userId}/${req.projectId}/${req.role}`)
  }

  async updateUser(req: Parameters<IdentityService['updateUser']>[0]): Promise<{updated: [string, string, string][]}> {
    this.calls.push('updateUser')
    return {updated: [...(req.email ? [['cloud_user', req.cloudUserId, 'email'] as [string, string, string]] : []), ...(req.password ? [['cloud_user', req.cloudUserId, 'password'] as [string, string, string]] : [])]}
  }
}

const invoice = (account: string, id: string): Invoice => ({account_id: account, amount: 1, balance: 1, currency: 'USD', invoice_date: '2026-12-01', invoice_id: id, invoice_number: '1', items: {}, status: 'COMMITTED'})

class FakeBilling implements BillingService {
  credits = 0
  async addCredits(req: {amount: number}): Promise<{credits: number}> {
    this.credits += req.amount
    return {credits: this.credits}
  }

  async addOrderTag(req: {tagName: string}): Promise<{tag: string}> {
    return {tag: `tag-${req.tagName}`}
  }

  async createOrder(): Promise<{orderId: string}> {
    if (this.credits < 25) throw new ServiceRefusal(422, 'InsufficientCredits', `credits ${this.credits} are below the threshold of 25: add credits first`)
    return {orderId: 'sub-1'}
  }

  async deleteOrder(req: {orderId: string}): Promise<{orderId: string}> {
    return {orderId: req.orderId}
  }

  async draftInvoice(req: {billingAcctId: string}): Promise<Invoice | null> {
    return req.billingAcctId === 'empty' ? null : {...invoice(req.billingAcctId, 'draft'), invoice_number: null, status: 'DRAFT'}
  }

  async getCredits(): Promise<{credits: number}> {
    return {credits: this.credits}
  }

  async getInvoice(req: {billingAcctId: string; invoiceId: string}): Promise<Invoice> {
    if (req.invoiceId !== 'inv-a') throw new ServiceRefusal(404, 'NotFound', `invoice ${req.invoiceId} is not an invoice of account ${req.billingAcctId}`)
    return invoice(req.billingAcctId, req.invoiceId)
  }

  async listInvoices(req: {billingAcctId: string; limit: number; offset: number}): Promise<{invoices: Invoice[]; total: number}> {
    return {invoices: [invoice(req.billingAcctId, 'inv-a')].slice(req.offset, req.offset + req.limit), total: 1}
  }
}

describe('serve: identity and billing routes over their ports', function () {
  // Messages are compared word for word: no secret another suite registered (a password 'admin')
  // may mask a word of them.
  before(() => clearSecrets())
  this.timeout(60_000)

  describe('without implementations', () => {
    let w: ServeWorld
    before(async () => {
      w = await startServeWorld({reconcileAfterAction: false})
    })
    after(async () => w?.stop())

    it('every identity and billing route answers 501 NotImplemented (after validation)', async () => {
      const env = w.runner.adminCloudEnv()
      const calls: [string, 'DELETE' | 'PATCH' | 'POST', unknown][] = [
        ['/user', 'POST', {cloud_env: env, email: 'a@b.c', name: 'A', password: 'pw', username: 'alice'}],
        ['/user', 'PATCH', {cloud_env: env, user_info: {cloud_user_id: 'u', new_data: {email: 'x@y.z'}}}],
        ['/user', 'DELETE', {cloud_env: env, user_info: {cloud_user_id: 'u'}}],
        ['/team', 'POST', {cloud_env: env, name: 't'}],
        ['/team', 'DELETE', {cloud_env: env, team_info: {project_id: 'p'}}],
        ['/team_role', 'POST', {cloud_env: env, team_role: {project_id: 'p', role: 'member', user_id: 'u'}}],
        ['/team_role', 'PATCH', {cloud_env: env, team_role: {current_role: 'member', new_role: 'admin', project_id: 'p', user_id: 'u'}}],
        ['/team_role', 'DELETE', {cloud_env: env, team_role: {project_id: 'p', role: 'member', user_id: 'u'}}],
        ['/get_draft_invoice', 'POST', {invoice: {billing_acct_id: 'a'}}],
        ['/list_paginated_invoices', 'POST', {invoices: {billing_acct_id: 'a'}}],
        ['/get_account_invoice', 'POST', {invoice: {billing_acct_id: 'a', invoice_id: 'i'}}],
        ['/credits', 'POST', {credits: {amount: 5, billing_acct_id: 'a'}}],
        ['/get_credits', 'POST', {credits: {billing_account_id: 'a'}}],
        ['/create_order', 'POST', {order: {billing_account_id: 'a'}}],
        ['/delete_order', 'POST', {order: {order_id: 'o'}}],
        ['/add_order_tag', 'POST', {tag: {order_id: 'o', tag_name: 'n', tag_value: 'v'}}],
      ]
      for (const [path, method, body] of calls) {
        const e = await failure(w.runner.call(method, path, body))
        expect(e.status, `${method} ${path}`).to.equal(501)
        expect(e.body, `${method} ${path}`).to.deep.include({error: 'NotImplemented', success: false})
      }
      // Validation comes first: a missing field is still 415.
      expect((await failure(w.runner.call('POST', '/team', {cloud_env: env}))).status).to.equal(415)
    })
  })

  describe('with implementations', () => {
    let w: ServeWorld
    let identity: FakeIdentity
    let billing: FakeBilling
    before(async () => {
      identity = new FakeIdentity()
      billing = new FakeBilling()
      w = await startServeWorld({billing, identity, reconcileAfterAction: false})
    })
    after(async () => w?.stop())

    it('sign-up: a linked user, a single-user team with project and account, the admin role', async () => {
      const user = w.sim.concertim.addUser({email: 'dora@example.com', login: 'dora', name: 'Dora', password: 'app-password'})
      const team = await w.runner.signUp(user, 'foreign-pw')
      expect(user.cloud_user_id).to.equal(identity.users.get('dora'))
      expect(team).to.deep.include({name: 'dora_team', single_user: true})
      expect(team.project_id).to.equal(identity.projects.get('dora_team'))
      expect(team.billing_acct_id).to.equal(`acct-${team.project_id}`)
      expect(identity.roles.has(`${user.cloud_user_id}/${team.project_id}/admin`)).to.equal(true)
    })

    it('a team made while Kill Bill is down is retried by the app and ends as one project, one account', async () => {
      identity.down = 2
      identity.calls = []
      const team = w.sim.concertim.addTeam({name: 'flaky', single_user: false})
      await w.runner.createTeam(team)
      expect(identity.calls.filter((c) => c.startsWith('createTeam'))).to.have.length(3)
      expect(team.project_id).to.equal(identity.projects.get('flaky'))
      const failed = w.runner.calls.filter((c) => c.path === '/team' && c.status === 503)
      expect(failed, 'Kill Bill unreachable → 503').to.have.length(2)
      // The app's next POST /team for the team sends the ids back: reused.
      await w.runner.createTeam(team)
      expect(identity.calls.at(-1)).to.equal(`createTeam ${team.project_id} ${team.billing_acct_id}`)
    })

    it('each identity route twice in a row yields one object', async () => {
      const env = w.runner.adminCloudEnv()
      for (let i = 0; i < 2; i++) {
        const r = await w.runner.call('POST', '/user', {cloud_env: env, email: 'e@x.org', name: 'E', password: 'pw', username: 'erin'})
        expect(r.body).to.deep.equal({success: true, user_cloud_id: identity.users.get('erin'), username: 'erin'})
        await w.runner.call('POST', '/team_role', {cloud_env: env, team_role: {project_id: 'p1', role: 'member', user_id: 'ux'}})
        await w.runner.call('DELETE', '/team', {cloud_env: env, team_info: {billing_acct_id: 'a', project_id: 'p'}})
      }
      expect([...identity.users.keys()].filter((k) => k === 'erin')).to.have.length(1)
      expect([...identity.roles].filter((r) => r === 'ux/p1/member')).to.have.length(1)
      const patched = await w.runner.call('PATCH', '/user', {cloud_env: env, user_info: {cloud_user_id: 'u9', new_data: {email: 'n@x.org', password: 'new'}}})
      expect(patched.body.updated).to.deep.equal([['cloud_user', 'u9', 'email'], ['cloud_user', 'u9', 'password']])
    })

    it('role names and empty updates are checked by the route: 400 and 415', async () => {
      const env = w.runner.adminCloudEnv()
      const role = await failure(w.runner.call('POST', '/team_role', {cloud_env: env, team_role: {project_id: 'p', role: 'owner', user_id: 'u'}}))
      expect(role.status).to.equal(400)
      const said = (role.body as {message: string}).message
      expect(said, said).to.include('"admin", "member", "watcher"')
      const empty = await failure(w.runner.call('PATCH', '/user', {cloud_env: env, user_info: {cloud_user_id: 'u', new_data: {}}}))
      expect(empty.status).to.equal(400)
      const neither = await failure(w.runner.call('DELETE', '/team', {cloud_env: env, team_info: {}}))
      expect(neither.status).to.equal(415)
    })

    it('invoices: paginated, one of this account, another account\'s → 404, a draft with nothing → 204', async () => {
      const team = {billing_acct_id: 'acct-a'} as Parameters<typeof w.runner.getInvoices>[0]
      const list = await w.runner.getInvoices(team, 0, 10)
      expect(list.body).to.deep.include({success: true, total_invoices: 1})
      expect((await w.runner.getInvoice(team, 'inv-a')).body.invoice).to.deep.include({account_id: 'acct-a'})
      const other = await failure(w.runner.getInvoice(team, 'inv-of-b'))
      expect(other.status).to.equal(404)
      expect(other.body).to.deep.include({error: 'NotFound', success: false})
      expect((await w.runner.getDraftInvoice({billing_acct_id: 'empty'} as typeof team, '2026-12-04')).status).to.equal(204)
      expect((await w.runner.getDraftInvoice(team, '2026-12-04')).body.draft_invoice).to.deep.include({status: 'DRAFT'})
    })

    it('credits and orders: amount checked, an order below the threshold is 422 with the reason', async () => {
      const bad = await failure(w.runner.call('POST', '/credits', {credits: {amount: -3, billing_acct_id: 'a'}}))
      expect(bad.status).to.equal(400)
      const refused = await failure(w.runner.call('POST', '/create_order', {order: {billing_account_id: 'a'}}))
      expect(refused.status).to.equal(422)
      expect(refused.body).to.deep.include({error: 'InsufficientCredits'})
      expect((await w.runner.call('POST', '/credits', {credits: {amount: '30.5', billing_acct_id: 'a'}})).body).to.deep.equal({credits: 30.5, success: true})
      expect((await w.runner.call('POST', '/get_credits', {credits: {billing_account_id: 'a'}})).body.credits).to.equal(30.5)
      expect((await w.runner.call('POST', '/create_order', {order: {billing_account_id: 'a'}})).body).to.deep.equal({order: 'sub-1', success: true})
      expect((await w.runner.call('POST', '/add_order_tag', {tag: {order_id: 'sub-1', tag_name: 'n', tag_value: 'v'}})).body).to.deep.equal({success: true, tag: 'tag-n'})
      expect((await w.runner.call('POST', '/delete_order', {order: {order_id: 'sub-1'}})).body).to.deep.equal({order: 'sub-1', success: true})
    })
  })
})
