/**
 * Reading a body that says it is JSON. Real services send what JSON does not allow: Gnocchi 4.4
 * answers aggregates with bare `NaN` (and `Infinity`) for a series whose first measures are in the
 * window — Python's `json.dumps` default. Those are read as `null` (no data). Anything else that does
 * not parse is an error, never an empty answer: a caller that took the raw text for "nothing" would
 * silently drop every value of the answer.
 */

/** `NaN`, `Infinity` and `-Infinity` outside strings, as Python's json module writes them. */
const NON_FINITE = /"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b/g

/** JSON.parse, reading Python's non-finite numbers as null. Throws SyntaxError when it does not parse. */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error
    return JSON.parse(text.replace(NON_FINITE, (m) => (m.startsWith('"') ? m : 'null'))) as unknown
  }
}

/** Whether a Content-Type names JSON (`application/json`, `application/vnd.x+json`, with parameters). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false
  const type = contentType.split(';')[0].trim().toLowerCase()
  return type === 'application/json' || type.endsWith('+json')
}

export class UnparsableBody extends Error {
  constructor(readonly excerpt: string) {
    super(`the answer says it is JSON but does not parse: ${excerpt}`)
    this.name = 'UnparsableBody'
  }
}

/**
 * A body as text → its value: parsed when it is JSON (leniently, see above), the text itself when
 * it does not claim to be JSON and does not parse, `UnparsableBody` when it claims JSON and does not
 * parse. Empty stays empty.
 */
export function decodeBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return text
  try {
    return parseLenientJson(text)
  } catch {
    if (isJsonContentType(contentType)) throw new UnparsableBody(text.length > 80 ? `${text.slice(0, 80)}…` : text)
    return text
  }
}
