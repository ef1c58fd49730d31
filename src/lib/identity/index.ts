/**
 * Identities: the Keystone user of a Concertim user, the Keystone project, grants and Kill Bill
 * account of a Concertim team, and Concertim's links to them — found and adopted when they exist,
 * made (with rollback) when they do not. Used by `users create|delete` and by the HTTP API.
 */
import type {ConcertimClient} from '../concertim/client.js'
import type {KillBillClient} from '../killbill/client.js'
import type {KeystoneSession} from '../openstack/keystone.js'
import type {Logger} from '../output/logger.js'
import type {IdentityClients} from './apply.js'
import {KeystoneDirectory} from './directory.js'
import type {IdentitySettings} from './settings.js'

export {type IdentityClients, type RunIds, runSteps} from './apply.js'
export {createIdentity, type CreateIdentityInput, ensureCloudTeam, ensureCloudUser, grantTeamRole, type IdentityResult, type TeamRoleName} from './create.js'
export {type CloudReader, deleteIdentity, type DeleteIdentityInput, type DeleteIdentityResult, type Removal} from './delete.js'
export {KeystoneDirectory} from './directory.js'
export {IdentityInputError, NameTakenError, RefusedError, StepFailedError} from './errors.js'
export {checkPasswordOut, generatePassword, PasswordOut, readPasswordFile, readPasswordStdin} from './passwords.js'
export {createPending, type PendingInput, type PendingResult, type PendingUnit, type UnitOutcome} from './pending.js'
export {DEFAULT_IDENTITY_SETTINGS, identitySettings, type IdentitySettings, keystoneProjectName, keystoneUserName, ownTeamName} from './settings.js'
export type {Step, StepKind, StepState} from './steps.js'

/** The clients the identity functions use, from the systems' clients and the `identity:` settings. */
export function identityClients(p: {concertim?: ConcertimClient; keystone: KeystoneSession; killbill?: KillBillClient; logger?: Logger; settings: IdentitySettings}): IdentityClients {
  return {concertim: p.concertim, dir: new KeystoneDirectory(p.keystone, p.settings), killbill: p.settings.billing ? p.killbill : undefined, logger: p.logger}
}
