/**
 * Carrying out a plan (`steps.ts`): each step in order, every object this run creates recorded in a
 * journal; when a step fails, the journal is rolled back (newest first) and the error names the step.
 *
 * Idempotent by construction: a creation that Keystone refuses with 409 (another run, or the app's
 * own job, made it meanwhile) looks the object up again and adopts it when it is ours; a Kill Bill
 * account is keyed by its project id, so a second creation adopts the first; grants are PUTs and
 * Concertim links are PATCHes that set values.
 */
import type {ConcertimClient} from '../concertim/client.js'
import {accountIsTagged, createTeamAccount, tagAccountWithProject} from '../killbill/accounts.js'
import type {KillBillClient} from '../killbill/client.js'
import {KeystoneConflictError} from '../openstack/errors.js'
import type {Logger} from '../output/logger.js'
import type {KeystoneDirectory} from './directory.js'
import {IdentityInputError, NameTakenError, StepFailedError} from './errors.js'
import {Journal} from './journal.js'
import type {Step} from './steps.js'

export interface IdentityClients {
  concertim?: ConcertimClient
  dir: KeystoneDirectory
  /** Present when billing is on. */
  killbill?: KillBillClient
  logger?: Logger
}

/** The ids a run learns as it goes (a later step uses what an earlier one created or found). */
export interface RunIds {
  accountId?: string
  accountTagged?: boolean
  projectCreated?: boolean
  projectId?: string
  userCreated?: boolean
  userId?: string
}

/** What the steps need besides the plan. */
export interface StepInputs {
  /** The Concertim user's current cloud_user_id (restored on rollback). */
  concertimUserLink?: null | string
  email?: string
  /** Called only when the Keystone user must be created. */
  password?: () => Promise<string>
  /** The Concertim team's current links (restored on rollback). */
  teamLinks?: {billing_acct_id: null | string; project_id: null | string}
  teamName?: string
}

/** Run the steps; on a failure roll back what this run created and throw `StepFailedError`. */
export async function runSteps(c: IdentityClients, steps: Step[], inputs: StepInputs, ids: RunIds = {}): Promise<Step[]> {
  const journal = new Journal()
  const done: Step[] = []
  for (const step of steps) {
    try {
       
      done.push(await applyStep(c, step, inputs, ids, journal))
    } catch (error) {
      const report = await journal.rollback(c.logger)
      if (ids.userCreated && report.rolledBack.some((o) => o.startsWith('Keystone user'))) ids.userCreated = false
      throw new StepFailedError(step.kind, step.object, report.rolledBack, report.leftBehind, error)
    }
  }
  return done
}

async function applyStep(c: IdentityClients, step: Step, inputs: StepInputs, ids: RunIds, journal: Journal): Promise<Step> {
  const {dir} = c
  const {keystone, settings: s} = dir
  switch (step.kind) {
    case 'keystone-user': {
      if (step.state !== 'to create') {
        ids.userId = step.id
        return step
      }
      if (inputs.password === undefined) {
        throw new IdentityInputError(`${step.object} must be created and needs a password`, 'give --password-file FILE, --password-stdin, or --generate-password --password-out FILE')
      }
      const name = step.name as string
      const password = await inputs.password()
      try {
        const user = await keystone.createUser({description: s.userDescription, domain_id: s.domainId, enabled: true, name, password, ...(inputs.email ? {email: inputs.email} : {})})
        dir.rememberUser(user)
        journal.created(`Keystone user ${name} (${user.id})`, async () => {
          await keystone.deleteUser(user.id)
          dir.forget('user', user.id)
        })
        ids.userId = user.id
        ids.userCreated = true
        return {...step, id: user.id, state: 'created'}
      } catch (error) {
        if (!(error instanceof KeystoneConflictError)) throw error
        // Made meanwhile by another run (or the app's job): adopt it when it is ours.
        const again = (await keystone.findUsersByName(name, s.domainId))[0]
        if (again === undefined || again.description !== s.userDescription) throw new NameTakenError('user', name, again?.id ?? '?', s.domainId, s.userDescription)
        ids.userId = again.id
        return {...step, id: again.id, state: 'adopted'}
      }
    }

    case 'concertim-user-link': {
      if (step.state !== 'to link') return step
      const concertim = need(c.concertim, 'Concertim')
      const previous = inputs.concertimUserLink ?? null
      await concertim.updateUser(step.id as string, {cloud_user_id: need(ids.userId, 'the Keystone user id')})
      journal.created(`Concertim user link (cloud_user_id)`, async () => concertim.updateUser(step.id as string, {cloud_user_id: previous}))
      return {...step, state: 'linked'}
    }

    case 'keystone-project': {
      if (step.state !== 'to create') {
        ids.projectId = step.id
        return step
      }
      const name = step.name as string
      try {
        const project = await keystone.createProject({description: s.projectDescription, domain_id: s.domainId, enabled: true, name})
        dir.rememberProject(project)
        journal.created(`Keystone project ${name} (${project.id})`, async () => {
          await keystone.deleteProject(project.id)
          dir.forget('project', project.id)
        })
        ids.projectId = project.id
        ids.projectCreated = true
        return {...step, id: project.id, state: 'created'}
      } catch (error) {
        if (!(error instanceof KeystoneConflictError)) throw error
        const again = (await keystone.findProjectsByName(name, s.domainId))[0]
        if (again === undefined || again.description !== s.projectDescription) throw new NameTakenError('project', name, again?.id ?? '?', s.domainId, s.projectDescription)
        ids.projectId = again.id
        return {...step, id: again.id, state: 'adopted'}
      }
    }

    case 'member-role':
    case 'project-grant': {
      if (step.state !== 'to grant') return step
      const role = need(step.role, 'the role')
      const projectId = need(ids.projectId, 'the project id')
      const userId = role.userId ?? need(ids.userId, 'the Keystone user id')
      await keystone.grantProjectRole(projectId, userId, role.id)
      // A project this run created takes its grants with it when it is deleted.
      if (!ids.projectCreated) journal.created(step.object, async () => keystone.revokeProjectRole(projectId, userId, role.id))
      return {...step, state: 'granted'}
    }

    case 'killbill-account': {
      if (step.state !== 'to create') {
        ids.accountId = step.id
        return step
      }
      const kb = need(c.killbill, 'Kill Bill')
      const projectId = need(ids.projectId, 'the project id')
      const made = await createTeamAccount(kb, {name: need(inputs.teamName, 'the team name'), projectId})
      ids.accountId = made.accountId
      if (!made.created) {
        ids.accountTagged = await accountIsTagged(kb, made.accountId, projectId)
        return {...step, id: made.accountId, state: 'adopted'}
      }
      // Kill Bill never deletes an account: it is closed when its project goes too; with a project that
      // stays, closing it would block the project's key for ever, so it is kept for the next run to adopt.
      if (ids.projectCreated) journal.created(`Kill Bill account ${made.accountId} (closed)`, async () => kb.closeAccount(made.accountId, {comment: 'rolled back by concertim-os', reason: 'Deleted'}))
      else journal.keep(`Kill Bill account ${made.accountId}`, 'kept open: Kill Bill cannot delete it and its project stays; the next run adopts it')
      return {...step, id: made.accountId, state: 'created'}
    }

    case 'killbill-tag': {
      if (step.state !== 'to tag' || ids.accountTagged === true) return {...step, id: ids.accountId, state: 'exists'}
      await tagAccountWithProject(need(c.killbill, 'Kill Bill'), need(ids.accountId, 'the account id'), need(ids.projectId, 'the project id'))
      ids.accountTagged = true
      return {...step, id: ids.accountId, state: 'tagged'}
    }

    case 'concertim-team-link': {
      if (step.state !== 'to link') return step
      const concertim = need(c.concertim, 'Concertim')
      const previous = inputs.teamLinks ?? {billing_acct_id: null, project_id: null}
      const update = {project_id: need(ids.projectId, 'the project id'), ...(s.billing ? {billing_acct_id: need(ids.accountId, 'the account id')} : {})}
      await concertim.updateTeam(step.id as string, update)
      journal.created(`Concertim team links (project_id${s.billing ? ', billing_acct_id' : ''})`, async () => concertim.updateTeam(step.id as string, s.billing ? previous : {project_id: previous.project_id}))
      return {...step, state: 'linked'}
    }
  }
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`internal: ${what} is not known at this step`)
  return value
}
