import type {KillBillSection} from '../config/index.js'
import type {HttpContext} from '../http/index.js'
import {HttpError} from '../http/index.js'
import type {KillBill} from '../killbill/index.js'
import {CheckChain, CheckFailure, type CheckResult} from './check.js'
import {probeUrl} from './reachability.js'

/** Kill Bill: reachable, and the credentials and tenant API key/secret accepted. */
export async function checkKillBill(kb: KillBill, section: KillBillSection, ctx: HttpContext): Promise<CheckResult[]> {
  const chain = new CheckChain('killbill')
  await chain.step('reachable', () => probeUrl('killbill', section.api_host, ctx))
  await chain.step('credentials and tenant', async () => {
    try {
      const page = await kb.client.accountsPage({limit: 1, offset: 0})
      return `accepted (${page.total ?? page.items.length} account${(page.total ?? page.items.length) === 1 ? '' : 's'})`
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        throw new CheckFailure(`Kill Bill refused the credentials or the tenant API key/secret${error.serverMessage ? `: ${error.serverMessage}` : ''}`, 'check killbill.username, password, apikey and apisecret')
      }
      throw error
    }
  })
  return chain.results
}
