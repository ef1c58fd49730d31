/**
 * Errors of the cloud actions that are the caller's to fix: each carries the HTTP status `serve`
 * answers with (`httpStatus`) and the error name the app sees (`errorName`), as the original
 * service's exceptions carried `http_status`.
 */
import {AppError} from '../errors.js'

export class ActionRefused extends AppError {
  constructor(
    readonly httpStatus: number,
    readonly errorName: string,
    message: string,
    opts: {cause?: unknown; hint?: string} = {},
  ) {
    super(message, {cause: opts.cause, code: `E_ACTION_${httpStatus}`, hint: opts.hint})
  }
}
