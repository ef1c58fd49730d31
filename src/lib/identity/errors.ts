/**
 * The identity functions' own failures. Each names the object and says what to do; none carries a
 * password (messages are built from names and ids only).
 */
import {AppError} from '../errors.js'
import {ExitCode, type ExitCodeValue} from '../exit-codes.js'
import {redactText} from '../output/redact.js'

/** Bad input (an unknown login or team, no password to create a user with, …): exit 2, nothing written. */
export class IdentityInputError extends AppError {
  constructor(message: string, hint?: string, code = 'E_IDENTITY_INPUT') {
    super(message, {code, exitCode: ExitCode.USAGE, hint})
  }
}

/** A Keystone name we would use is held by an object that is not ours: never adopted. Exit 2. */
export class NameTakenError extends AppError {
  constructor(
    readonly kind: 'project' | 'user',
    readonly keystoneName: string,
    readonly id: string,
    domainId: string,
    expectedDescription: string,
  ) {
    super(`Keystone ${kind} '${keystoneName}' (${id}) in domain '${domainId}' exists but was not made for Concertim (its description is not '${expectedDescription}' and no Concertim ${kind === 'user' ? 'user' : 'team'} links to it)`, {
      code: 'E_NAME_TAKEN',
      exitCode: ExitCode.USAGE,
      hint: `it is never adopted: rename or delete that ${kind} if it is a leftover, or choose another identity.${kind}_prefix (or identity.domain_id)`,
    })
  }
}

/** A Concertim-made object that the command refuses to remove (servers on it, the last admin…): exit 2 unless --force. */
export class RefusedError extends AppError {
  constructor(message: string, hint: string) {
    super(message, {code: 'E_REFUSED', exitCode: ExitCode.USAGE, hint})
  }
}

/**
 * A step failed; what this run had created was removed (newest first). The exit code is the
 * cause's (2 for bad input such as a rejected password, else 1).
 */
export class StepFailedError extends AppError {
  constructor(
    readonly step: string,
    readonly object: string,
    readonly rolledBack: string[],
    readonly leftBehind: string[],
    cause: unknown,
  ) {
    const why = redactText(cause instanceof Error ? cause.message : String(cause))
    const undone = rolledBack.length === 0 ? 'nothing had been created' : `rolled back: ${rolledBack.join(', ')}`
    const left = leftBehind.length === 0 ? '' : `; NOT rolled back: ${leftBehind.join(', ')}`
    const exit: ExitCodeValue = cause instanceof AppError ? cause.exitCode : ExitCode.FAILURE
    super(`failed at ${step} (${object}): ${why}; ${undone}${left}`, {
      cause,
      code: cause instanceof AppError ? cause.code : 'E_IDENTITY_STEP',
      exitCode: exit,
      hint: cause instanceof AppError ? cause.hint : 'run the command again once the cause is fixed: what exists is found and adopted, nothing is made twice',
    })
  }
}
