/**
 * Ajv's errors for a request body → the refusal the app expects (pure): every missing required key
 * → 415 `MissingRequiredArgument` naming them all (dotted paths); otherwise 400 `InvalidArgument`
 * naming the key and what is wrong with it.
 */
import {ApiError} from './errors.js'

export interface SchemaError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

const dotted = (instancePath: string): string => instancePath.replace(/^\//, '').replaceAll('/', '.')

/** The refusal for a body that failed its schema; `schema` gives the top-level keys of a missing body. */
export function validationRefusal(errors: readonly SchemaError[], body: unknown, schema: {required?: readonly string[]}): ApiError {
  if (body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0)) {
    const fields = schema.required ?? []
    if (fields.length > 0) return new ApiError(415, 'MissingRequiredArgument', `missing required fields: ${fields.join(', ')} (the body must be a JSON object with them)`)
  }
  const missing = errors
    .filter((e) => e.keyword === 'required')
    .map((e) => [dotted(e.instancePath), String(e.params.missingProperty)].filter(Boolean).join('.'))
  if (missing.length > 0) return new ApiError(415, 'MissingRequiredArgument', `missing required fields: ${[...new Set(missing)].join(', ')}`)
  // An anyOf stands for the errors of its branches (at or under its path): only it is reported.
  const anyOf = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath)
  const problems = errors
    .filter((e) => e.keyword === 'anyOf' || !anyOf.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`)))
    .map((e) => `${dotted(e.instancePath) || 'the body'} ${describe(e)}`)
  return new ApiError(400, 'InvalidArgument', `invalid request: ${[...new Set(problems)].join('; ')}`)
}

function describe(e: SchemaError): string {
  switch (e.keyword) {
    case 'enum': {
      return `must be one of ${(e.params.allowedValues as unknown[]).filter((v) => v !== null).map((v) => JSON.stringify(v)).join(', ')}`
    }
    case 'type': {
      return `must be ${Array.isArray(e.params.type) ? (e.params.type as string[]).join(' or ') : String(e.params.type)}`
    }
    case 'minProperties': {
      return 'must have at least one of its fields'
    }
    case 'anyOf': {
      return 'must be a number greater than 0 (or such a number as a string)'
    }
    default: {
      return e.message ?? 'is invalid'
    }
  }
}
