/**
 * `/1.0/kb/accounts`: create, get by id or external key, list, search, close, bundles and the
 * account's custom fields.
 */
import type {SimRequest} from '../http-app.js'
import {created, isObject, page, type KbContext} from './app.js'
import {accountExists, accountKeyNotFound, accountNotFound, illegalArgument, invalidUuid, UUID_RE} from './errors.js'
import {accountJson, bundleJson, customFieldJson} from './json.js'
import type {AccountRecord, KillBillState} from './state.js'

export function accountRoutes(ctx: KbContext): void {
  const {state} = ctx
  const render = (r: SimRequest, a: AccountRecord) =>
    accountJson(state, a, r.query.get('accountWithBalance') === 'true', r.query.get('accountWithBalanceAndCBA') === 'true')

  ctx.route('POST', '/1.0/kb/accounts', (r) => {
    const body = isObject(r.body) ? r.body : undefined
    if (!body) return illegalArgument('AccountJson body should be specified')
    const externalKey = typeof body.externalKey === 'string' && body.externalKey !== '' ? body.externalKey : undefined
    if (externalKey !== undefined && state.accountByKey(externalKey)) return accountExists(externalKey)
    const account = state.addAccount({
      billCycleDayLocal: typeof body.billCycleDayLocal === 'number' ? body.billCycleDayLocal : undefined,
      company: typeof body.company === 'string' ? body.company : null,
      currency: typeof body.currency === 'string' ? body.currency : undefined,
      email: typeof body.email === 'string' ? body.email : null,
      externalKey,
      name: typeof body.name === 'string' ? body.name : '',
      notes: typeof body.notes === 'string' ? body.notes : null,
      timeZone: typeof body.timeZone === 'string' ? body.timeZone : undefined,
    })
    return created(r, `/1.0/kb/accounts/${account.accountId}`)
  })

  ctx.route('GET', '/1.0/kb/accounts', (r) => {
    const key = r.query.get('externalKey')
    if (key === null) return illegalArgument('externalKey needs to be specified')
    const account = state.accountByKey(key)
    return account ? {body: render(r, account), status: 200} : accountKeyNotFound(key)
  })

  ctx.route('GET', '/1.0/kb/accounts/pagination', (r) => page(r, [...state.accounts.values()], (a) => render(r, a)))

  ctx.route('GET', '/1.0/kb/accounts/search/:searchKey', (r) => {
    const key = r.params.searchKey.toLowerCase()
    const hits = [...state.accounts.values()].filter(
      (a) => a.accountId === key || a.externalKey.toLowerCase() === key || a.name.toLowerCase().includes(key) || (a.email ?? '').toLowerCase().includes(key) || (a.company ?? '').toLowerCase().includes(key),
    )
    return page(r, hits, (a) => render(r, a))
  })

  ctx.route('GET', '/1.0/kb/accounts/:accountId', (r) => {
    const found = findAccount(state, r.params.accountId)
    return 'reply' in found ? found.reply : {body: render(r, found.account), status: 200}
  })

  ctx.route('DELETE', '/1.0/kb/accounts/:accountId', (r) => {
    const found = findAccount(state, r.params.accountId)
    if ('reply' in found) return found.reply
    found.account.closed = true
    if (r.query.get('cancelAllSubscriptions') === 'true') {
      for (const s of state.subscriptionsOf(found.account.accountId)) {
        s.state = 'CANCELLED'
        s.cancelledDate = new Date(state.now()).toISOString()
      }
    }
    return {status: 204}
  })

  ctx.route('GET', '/1.0/kb/accounts/:accountId/bundles', (r) => {
    const found = findAccount(state, r.params.accountId)
    if ('reply' in found) return found.reply
    const key = r.query.get('externalKey')
    const bundles = state.bundlesOf(found.account.accountId).filter((b) => key === null || b.externalKey === key)
    return {body: bundles.map((b) => bundleJson(b, state.subscriptionsOfBundle(b.bundleId))), status: 200}
  })

  ctx.route('GET', '/1.0/kb/accounts/:accountId/customFields', (r) => {
    const found = findAccount(state, r.params.accountId)
    if ('reply' in found) return found.reply
    return {body: state.customFieldsOf(found.account.accountId).map((f) => customFieldJson(f)), status: 200}
  })

  ctx.route('POST', '/1.0/kb/accounts/:accountId/customFields', (r) => {
    const found = findAccount(state, r.params.accountId)
    if ('reply' in found) return found.reply
    const fields = customFieldsBody(r.body)
    if (typeof fields === 'string') return illegalArgument(fields)
    for (const f of fields) state.addCustomField({...f, objectId: found.account.accountId, objectType: 'ACCOUNT'})
    return created(r, `/1.0/kb/accounts/${found.account.accountId}/customFields`)
  })

  ctx.route('DELETE', '/1.0/kb/accounts/:accountId/customFields', (r) => {
    const found = findAccount(state, r.params.accountId)
    if ('reply' in found) return found.reply
    const ids = r.query.getAll('customField')
    for (const f of state.customFieldsOf(found.account.accountId)) if (ids.length === 0 || ids.includes(f.customFieldId)) state.removeCustomField(f.customFieldId)
    return {status: 204}
  })
}

export function findAccount(state: KillBillState, id: string): {account: AccountRecord} | {reply: ReturnType<typeof accountNotFound>} {
  if (!UUID_RE.test(id)) return {reply: invalidUuid(id)}
  const account = state.accounts.get(id)
  return account ? {account} : {reply: accountNotFound(id)}
}

/** A `[{"name", "value"}]` body, or the reason it is not one. */
export function customFieldsBody(body: unknown): string | {name: string; value: string}[] {
  if (!Array.isArray(body) || body.length === 0) return 'CustomFieldJson body should be specified'
  const out: {name: string; value: string}[] = []
  for (const f of body) {
    if (!isObject(f) || typeof f.name !== 'string' || f.name === '') return 'CustomFieldJson name needs to be set'
    if (f.value === undefined || f.value === null) return 'CustomFieldJson value needs to be set'
    out.push({name: f.name, value: String(f.value)})
  }
  return out
}
