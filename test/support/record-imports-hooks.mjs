// Module customisation hooks for record-imports.mjs (they run on the loader thread).
import {appendFileSync} from 'node:fs'

const out = process.env.RECORD_IMPORTS_FILE

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  if (out) appendFileSync(out, `${resolved.url}\n`)
  return resolved
}
