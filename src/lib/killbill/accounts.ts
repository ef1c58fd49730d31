/**
 * The Kill Bill account of a Concertim team (original-service.md §7.2 `create_account`): currency
 * USD, bill cycle day 31, named after the team, tagged with the custom field `project_cloud_id` =
 * the team's OpenStack project id.
 *
 * Made so that a repeated or crashed run never makes a second account for a project: the account is
 * created with the project id as its external key, which Kill Bill keeps unique per tenant — a second
 * creation answers 409, and the account holding the key is the one to adopt. The custom field (what
 * the original and the billing loop look accounts up by) is added afterwards; an account a crashed
 * run made without it is found by its key and tagged then.
 */
import {HttpError} from '../http/index.js'
import type {KillBillClient} from './client.js'
import {type Account, PROJECT_ID_FIELD} from './types.js'

/** What the original gave every team account. */
export const TEAM_ACCOUNT_CURRENCY = 'USD'
export const TEAM_ACCOUNT_BILL_CYCLE_DAY = 31

/** The ids of the accounts tagged `project_cloud_id` = this project. */
export async function accountsOfProject(kb: KillBillClient, projectId: string): Promise<string[]> {
  const fields = await kb.findCustomFields({name: PROJECT_ID_FIELD, objectType: 'ACCOUNT', value: projectId})
  return [...new Set(fields.filter((f) => f.value === projectId && f.objectId !== undefined).map((f) => f.objectId as string))]
}

/** Every account tagged with a project: project id → account ids (one paged listing, for bulk runs). */
export async function accountsByProject(kb: KillBillClient): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>()
  for (const f of await kb.findCustomFields({name: PROJECT_ID_FIELD, objectType: 'ACCOUNT'})) {
    if (f.objectId === undefined || f.name !== PROJECT_ID_FIELD) continue
    const ids = out.get(f.value) ?? []
    if (!ids.includes(f.objectId)) ids.push(f.objectId)
    out.set(f.value, ids)
  }
  return out
}

export interface TeamAccountCreation {
  accountId: string
  /** False: an account with this project as its key already existed (an earlier or concurrent run's), and is adopted. */
  created: boolean
}

/** Create the team's account keyed by its project id; the existing one when the key is taken. */
export async function createTeamAccount(kb: KillBillClient, team: {name: string; projectId: string}): Promise<TeamAccountCreation> {
  try {
    const accountId = await kb.createAccountId({billCycleDayLocal: TEAM_ACCOUNT_BILL_CYCLE_DAY, currency: TEAM_ACCOUNT_CURRENCY, externalKey: team.projectId, name: team.name})
    return {accountId, created: true}
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 409)) throw error
    const existing = await kb.accountByExternalKey(team.projectId)
    if (existing === null) throw error
    return {accountId: existing.accountId, created: false}
  }
}

/** The account keyed by this project id (what a crashed run may have left untagged), or null. */
export async function accountKeyedByProject(kb: KillBillClient, projectId: string): Promise<Account | null> {
  return kb.accountByExternalKey(projectId)
}

/** Tag the account with `project_cloud_id` (one call, nothing read back). */
export async function tagAccountWithProject(kb: KillBillClient, accountId: string, projectId: string): Promise<void> {
  await kb.addCustomFieldsOnly('ACCOUNT', accountId, [{name: PROJECT_ID_FIELD, value: projectId}])
}

/** Whether the account carries `project_cloud_id` = this project. */
export async function accountIsTagged(kb: KillBillClient, accountId: string, projectId: string): Promise<boolean> {
  return (await kb.customFields('ACCOUNT', accountId)).some((f) => f.name === PROJECT_ID_FIELD && f.value === projectId)
}

/** Close a team's account as the original's `DELETE /team` did (Kill Bill accounts are never deleted). */
export async function closeTeamAccount(kb: KillBillClient, accountId: string, comment = 'Closed by concertim-os'): Promise<void> {
  await kb.closeAccount(accountId, {comment, reason: 'Deleted'})
}
