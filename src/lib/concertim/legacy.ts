/**
 * Safe decoding of the Python-repr values the original service wrote into Concertim
 * (original-service.md §4.2, §3.9, §10 #27/#28): every value was sent through `str.format`, so lists,
 * dicts, booleans and None arrived as text such as `"['10.0.0.5']"`, `"{'net1': ['10.0.0.5']}"`,
 * `"True"`, `"None"`, `"[('k', {...})]"`. The original read them back with `eval()`.
 *
 * This is a small tokenizer and recursive-descent parser for Python *literal* syntax only (what
 * `ast.literal_eval` accepts, minus complex numbers and sets-as-sets): nothing is ever evaluated.
 * Anything else (a call such as `datetime.datetime(…)`, `nan`, unbalanced brackets, trailing text)
 * makes `decodeLegacyValue` return the input unchanged.
 */
import type {JsonObject, JsonValue} from './types.js'

/** Nesting deeper than this is refused (no stack exhaustion on hostile input). */
const MAX_DEPTH = 64

class LiteralSyntaxError extends Error {}

type Token =
  | {kind: 'name'; text: string}
  | {kind: 'number'; value: number | string}
  | {kind: 'punct'; text: ',' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '+'}
  | {kind: 'string'; value: string}

const PUNCT = new Set([',', ':', '(', ')', '[', ']', '{', '}', '-', '+'])
const SIMPLE_ESCAPES: Record<string, string> = {
  '\n': '',
  '"': '"',
  "'": "'",
  '\\': '\\',
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++
      continue
    }
    if (PUNCT.has(c)) {
      tokens.push({kind: 'punct', text: c as ',' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '+'})
      i++
      continue
    }
    // String, with an optional prefix (r, b, u, and combinations such as rb / br).
    const prefix = /^([rRbBuU]{0,2})(['"])/.exec(src.slice(i, i + 3))
    if (prefix && /^(|[rR]|[bB]|[uU]|[rR][bB]|[bB][rR])$/.test(prefix[1])) {
      const raw = /[rR]/.test(prefix[1])
      const start = i + prefix[1].length
      const {end, value} = readString(src, start, raw)
      tokens.push({kind: 'string', value})
      i = end
      continue
    }
    if (/[0-9.]/.test(c)) {
      const m = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.(?:\d[\d_]*)?|\.\d[\d_]*|\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?)/.exec(src.slice(i))
      if (!m) throw new LiteralSyntaxError(`bad number at ${i}`)
      const after = src[i + m[0].length]
      if (after !== undefined && /[A-Za-z0-9_.]/.test(after)) throw new LiteralSyntaxError(`bad number at ${i}`)
      tokens.push({kind: 'number', value: numberOf(m[0])})
      i += m[0].length
      continue
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i)) as RegExpExecArray
      tokens.push({kind: 'name', text: m[0]})
      i += m[0].length
      continue
    }
    throw new LiteralSyntaxError(`unexpected ${JSON.stringify(c)} at ${i}`)
  }
  return tokens
}

function numberOf(text: string): number | string {
  if (/__|_$|^_|_\.|\._|_[eE]|[eE]_/.test(text)) throw new LiteralSyntaxError(`bad number ${text}`)
  const t = text.replaceAll('_', '')
  let n: number
  if (/^0[xX]/.test(t)) n = Number.parseInt(t.slice(2), 16)
  else if (/^0[oO]/.test(t)) n = Number.parseInt(t.slice(2), 8)
  else if (/^0[bB]/.test(t)) n = Number.parseInt(t.slice(2), 2)
  else if (/^\d+$/.test(t)) {
    // Python 3 forbids leading zeros in decimal integers other than 0 itself.
    if (/^0\d/.test(t) && !/^0+$/.test(t)) throw new LiteralSyntaxError(`bad number ${text}`)
    n = Number(t)
    // Integers beyond 2^53 keep their digits rather than lose precision.
    if (!Number.isSafeInteger(n)) return t.replace(/^0+(?=\d)/, '')
  } else n = Number(t)
  if (!Number.isFinite(n)) throw new LiteralSyntaxError(`bad number ${text}`)
  return n
}

function readString(src: string, start: number, raw: boolean): {end: number; value: string} {
  const quote = src[start]
  const triple = src.startsWith(quote.repeat(3), start)
  const close = triple ? quote.repeat(3) : quote
  let i = start + close.length
  let out = ''
  while (i < src.length) {
    if (src.startsWith(close, i)) return {end: i + close.length, value: out}
    const c = src[i]
    if (!triple && c === '\n') break
    if (c !== '\\') {
      out += c
      i++
      continue
    }
    const next = src[i + 1]
    if (next === undefined) break
    if (raw) {
      // In a raw string a backslash stays, and only stops the next quote from closing it.
      out += c + next
      i += 2
      continue
    }
    if (next in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[next]
      i += 2
      continue
    }
    const hexLen = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0
    if (hexLen > 0) {
      const hex = src.slice(i + 2, i + 2 + hexLen)
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) throw new LiteralSyntaxError(`bad \\${next} escape at ${i}`)
      const code = Number.parseInt(hex, 16)
      if (code > 0x10_ffff) throw new LiteralSyntaxError(`bad \\${next} escape at ${i}`)
      out += String.fromCodePoint(code)
      i += 2 + hexLen
      continue
    }
    const octal = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4))
    if (octal) {
      out += String.fromCodePoint(Number.parseInt(octal[0], 8))
      i += 1 + octal[0].length
      continue
    }
    // Python keeps unknown escapes (e.g. "\d") as they are.
    out += c + next
    i += 2
  }
  throw new LiteralSyntaxError(`unterminated string at ${start}`)
}

class Parser {
  private pos = 0

  constructor(private readonly tokens: Token[]) {}

  parseAll(): JsonValue {
    const value = this.value(0)
    if (this.pos !== this.tokens.length) throw new LiteralSyntaxError('trailing input')
    return value
  }

  private expectPunct(text: string): void {
    const t = this.tokens[this.pos]
    if (t?.kind !== 'punct' || t.text !== text) throw new LiteralSyntaxError(`expected ${text}`)
    this.pos++
  }

  private isPunct(text: string): boolean {
    const t = this.tokens[this.pos]
    return t?.kind === 'punct' && t.text === text
  }

  /** Items up to `close`, separated by commas, a trailing comma allowed. */
  private items<T>(close: string, item: () => T): {items: T[]; trailingComma: boolean} {
    const items: T[] = []
    let trailingComma = false
    while (!this.isPunct(close)) {
      items.push(item())
      trailingComma = false
      if (this.isPunct(',')) {
        this.pos++
        trailingComma = true
      } else break
    }
    this.expectPunct(close)
    return {items, trailingComma}
  }

  private value(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw new LiteralSyntaxError('nested too deeply')
    const t = this.tokens[this.pos]
    if (t === undefined) throw new LiteralSyntaxError('unexpected end')
    this.pos++
    switch (t.kind) {
      case 'string': {
        let s = t.value
        // Adjacent literals concatenate: 'a' 'b' == 'ab'.
        while (this.tokens[this.pos]?.kind === 'string') s += (this.tokens[this.pos++] as {value: string}).value
        return s
      }
      case 'number': {
        return t.value
      }
      case 'name': {
        if (t.text === 'None') return null
        if (t.text === 'True') return true
        if (t.text === 'False') return false
        throw new LiteralSyntaxError(`not a literal: ${t.text}`)
      }
      case 'punct': {
        return this.compound(t.text, depth)
      }
    }
  }

  private compound(open: string, depth: number): JsonValue {
    switch (open) {
      case '-':
      case '+': {
        const n = this.tokens[this.pos]
        if (n?.kind !== 'number') throw new LiteralSyntaxError(`${open} must precede a number`)
        this.pos++
        if (typeof n.value === 'string') return open === '-' ? `-${n.value}` : n.value
        return open === '-' ? -n.value : n.value
      }
      case '[': {
        return this.items(']', () => this.value(depth + 1)).items
      }
      case '(': {
        // (x) is just x; (x,) and () are tuples, decoded as arrays.
        const {items, trailingComma} = this.items(')', () => this.value(depth + 1))
        return items.length === 1 && !trailingComma ? items[0] : items
      }
      case '{': {
        return this.dictOrSet(depth)
      }
      default: {
        throw new LiteralSyntaxError(`unexpected ${open}`)
      }
    }
  }

  private dictOrSet(depth: number): JsonValue {
    if (this.isPunct('}')) {
      this.pos++
      return {}
    }
    const first = this.value(depth + 1)
    if (!this.isPunct(':')) {
      // A set literal {a, b}: decoded as an array (JSON has no sets).
      const rest: JsonValue[] = [first]
      if (this.isPunct(',')) {
        this.pos++
        rest.push(...this.items('}', () => this.value(depth + 1)).items)
      } else this.expectPunct('}')
      return rest
    }
    this.pos++
    const out: JsonObject = {}
    out[keyOf(first)] = this.value(depth + 1)
    if (this.isPunct(',')) {
      this.pos++
      this.items('}', () => {
        const key = this.value(depth + 1)
        this.expectPunct(':')
        out[keyOf(key)] = this.value(depth + 1)
      })
    } else this.expectPunct('}')
    return out
  }
}

/** JSON object keys are strings: Python keys 1, None, True become "1", "None", "True". */
function keyOf(key: JsonValue): string {
  if (typeof key === 'string') return key
  if (key === null) return 'None'
  if (key === true) return 'True'
  if (key === false) return 'False'
  if (typeof key === 'number') return String(key)
  throw new LiteralSyntaxError('unhashable dict key')
}

/**
 * Parse a Python literal (`ast.literal_eval` syntax). Throws a `SyntaxError`-like error on anything
 * else. Tuples and sets become arrays; dict keys become strings.
 */
export function parsePythonLiteral(text: string): JsonValue {
  return new Parser(tokenize(text)).parseAll()
}

/**
 * Decode one legacy value: the parsed Python literal when `text` is one, else `text` unchanged.
 * Never throws and never evaluates anything.
 */
export function decodeLegacyValue(text: string): JsonValue {
  try {
    return parsePythonLiteral(text)
  } catch (error) {
    if (error instanceof LiteralSyntaxError) return text
    throw error
  }
}

/**
 * Whether a stored string looks like something the original service wrote with `str()` of a
 * non-string: a list, tuple, dict or set, `None`, `True`, `False`, or a quoted string. Bare numbers
 * do not count: a metadata value "42" may well have been the string "42".
 */
export function looksLikePythonRepr(text: string): boolean {
  const t = text.trim()
  if (t === 'None' || t === 'True' || t === 'False') return true
  const first = t[0]
  const last = t.at(-1)
  return (
    (first === '[' && last === ']') ||
    (first === '(' && last === ')') ||
    (first === '{' && last === '}') ||
    (t.length >= 2 && (first === "'" || first === '"') && last === first)
  )
}

function decodeEntries(obj: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(obj)) out[k] = typeof v === 'string' && looksLikePythonRepr(v) ? decodeLegacyValue(v) : v
  return out
}

/** A record after `decodeMetadata`: its metadata and details values may be any JSON value. */
export type LegacyDecoded<T> = {[K in keyof T]: K extends 'details' | 'metadata' ? JsonObject : T[K]}

/**
 * A copy of `record` whose `metadata` values (and `details` values, for devices) that look like
 * Python reprs are decoded; everything else, including values that fail to parse, is kept as it
 * was. Only the top level of each object is looked at: a value we wrote as real JSON is left alone.
 */
export function decodeMetadata<T extends {details?: object; metadata?: object}>(record: T): LegacyDecoded<T> {
  const out: Record<string, unknown> = {...record}
  if (record.metadata !== undefined) out.metadata = decodeEntries(record.metadata as JsonObject)
  if (record.details !== undefined) out.details = decodeEntries(record.details as JsonObject)
  return out as LegacyDecoded<T>
}
