/**
 * Loading the configuration: YAML file → `*_file` secrets → environment overrides → defaults →
 * validation. Precedence (DESIGN §5): flags > environment > file > defaults; flags are applied by
 * the command after loading.
 */
import {editDistance} from '../suggest.js'
import {Ajv, type ErrorObject} from 'ajv'
import {load as parseYaml, YAMLException} from 'js-yaml'
import {readFileSync} from 'node:fs'
import {dirname, isAbsolute, resolve} from 'node:path'

import {ConfigError, configWhere} from '../errors.js'
import {normaliseLevel} from '../output/logger.js'
import {declarePublic, registerSecret} from '../output/redact.js'
import {type Config, configSchema, DEFAULT_CONFIG_PATH, SECRET_KEYS, SECTIONS} from './schema.js'

export const ENV_PREFIX = 'CONCERTIM_OS_'
/** Environment variables of the prefix that are not config keys. */
const NOT_KEYS = new Set(['CONFIG', 'CONTENT_TYPE', 'DEBUG', 'LOG_FORMAT'])

export interface LoadOptions {
  /** Environment to read overrides from (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Path given by `--config`; else CONCERTIM_OS_CONFIG; else the default path. */
  path?: string
}

export interface LoadedConfig {
  config: Config
  /** Where it came from. */
  path: string
  /** Problems that do not stop the run (unknown keys, deprecated spellings). */
  warnings: string[]
}

/**
 * Compiled at every start of every command: without the meta-schema check of our own (constant)
 * schema — a unit test makes it — and without ajv's optimising pass over the generated code, the
 * compile takes ~120 ms of CPU instead of ~290 ms; what is validated, and how, is the same.
 */
export const CONFIG_AJV_OPTIONS = {allErrors: true, code: {optimize: false}, coerceTypes: true, strict: false, useDefaults: true, validateSchema: false} as const
const ajv = new Ajv(CONFIG_AJV_OPTIONS)
const validate = ajv.compile(configSchema)

/** Where the config file is looked for, and whether the user named it. */
export function configPath(opts: LoadOptions = {}): {explicit: boolean; path: string} {
  const env = opts.env ?? process.env
  if (opts.path) return {explicit: true, path: opts.path}
  if (env.CONCERTIM_OS_CONFIG) return {explicit: true, path: env.CONCERTIM_OS_CONFIG}
  return {explicit: false, path: DEFAULT_CONFIG_PATH}
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env
  const {explicit, path} = configPath(opts)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable by this user' : (error as Error).message
    throw new ConfigError(
      '',
      `the configuration file ${path} ${why}${explicit ? '' : ' (the default location)'}; give one with --config FILE or CONCERTIM_OS_CONFIG`,
      'concertim-os doctor --config ./config.yaml   (a documented sample is etc/config.sample.yaml)',
    )
  }
  return parseConfig(text, {env, path})
}

/** Parse and validate config text (exported for tests and `sim --write-config` round trips). */
export function parseConfig(text: string, opts: {env?: NodeJS.ProcessEnv; path?: string} = {}): LoadedConfig {
  const env = opts.env ?? process.env
  const path = opts.path ?? '<inline>'
  let raw: unknown
  try {
    raw = parseYaml(text, {filename: path})
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = error.mark ? ` at line ${error.mark.line + 1}, column ${error.mark.column + 1}` : ''
      throw new ConfigError('', `${path} is not valid YAML${line}: ${error.reason}`, 'key: value   (indent nested keys with spaces, not tabs)')
    }
    throw error
  }
  if (raw === null || raw === undefined) raw = {}
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('', `${path} must hold a mapping of keys (it holds a ${Array.isArray(raw) ? 'list' : typeof raw})`, 'openstack:\n    auth_url: https://keystone.example.com:5000/v3')
  }
  const doc = raw as Record<string, unknown>
  const warnings: string[] = []
  // Unknown keys of the file are warned about (and dropped where the schema allows no others)
  // before the environment is applied: a misspelt variable is warned about there, by its name.
  warnings.push(...unknownKeyWarnings(doc))
  const fromEnv = applyEnvironment(doc, env, warnings)
  const variableOf = (...paths: string[]): string | undefined => paths.map((p) => fromEnv.get(p)).find((v) => v !== undefined)
  readSecretFiles(doc, dirname(path), variableOf)
  normaliseOriginalValues(doc)
  if (!validate(doc)) throw configErrorFrom(validate.errors ?? [], variableOf)
  const config = doc as unknown as Config
  checkCrossKeys(config, variableOf)
  warnings.push(...secretsShownAsNames(doc))
  for (const [section, keys] of Object.entries(SECRET_KEYS)) {
    const s = doc[section] as Record<string, unknown> | undefined
    for (const k of keys) registerSecret(s?.[k])
  }
  return {config, path, warnings}
}

/**
 * `CONCERTIM_OS_<SECTION>_<KEY>` sets `section.key`; `CONCERTIM_OS_<KEY>` a top-level key. A
 * variable that names no key is ignored with a warning that names it (with a "did you mean"), as an
 * unknown key of the file is. Returns the variable that set each key (`http.timeout_ms` →
 * `CONCERTIM_OS_HTTP_TIMEOUT_MS`), so that an error about the value names where it came from.
 */
function applyEnvironment(doc: Record<string, unknown>, env: NodeJS.ProcessEnv, warnings: string[]): Map<string, string> {
  const fromEnv = new Map<string, string>()
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue
    const rest = name.slice(ENV_PREFIX.length)
    if (NOT_KEYS.has(rest)) continue
    const lower = rest.toLowerCase()
    const section = SECTIONS.find((s) => lower.startsWith(`${s}_`))
    const key = section ? lower.slice(section.length + 1) : lower
    const known = section ? sectionKeys(section) : [...KNOWN_TOP]
    if (!known.includes(key)) {
      const prefix = `${ENV_PREFIX}${section ? `${section.toUpperCase()}_` : ''}`
      const best = closest(key, known)
      warnings.push(`environment variable ${name} is ignored: '${section ? `${section}.` : ''}${key}' is not a configuration key${best ? ` (did you mean ${prefix}${best.toUpperCase()}?)` : ''}`)
      continue
    }
    if (section) {
      const target = (doc[section] ??= {}) as Record<string, unknown>
      if (typeof target !== 'object' || target === null || Array.isArray(target)) {
        warnings.push(`environment variable ${name} is ignored: '${section}' in the file is not a mapping`)
        continue
      }
      target[key] = value
      fromEnv.set(`${section}.${key}`, name)
    } else {
      doc[key] = value
      fromEnv.set(key, name)
    }
  }
  return fromEnv
}

/** For every secret key `k`, a `k_file` sibling names a file holding its value (trailing newline dropped). */
function readSecretFiles(doc: Record<string, unknown>, baseDir: string, variableOf: (path: string) => string | undefined): void {
  const credentialsDir = process.env.CREDENTIALS_DIRECTORY
  for (const [section, keys] of Object.entries(SECRET_KEYS)) {
    const s = doc[section]
    if (s === null || typeof s !== 'object') continue
    const sec = s as Record<string, unknown>
    for (const key of keys) {
      const fileKey = `${key}_file`
      const file = sec[fileKey]
      if (file === undefined || file === null || file === '') continue
      const path = `${section}.${fileKey}`
      if (typeof file !== 'string') throw new ConfigError(path, 'must be a file path', `${fileKey}: /etc/concertim-openstack-service/${key}`, {variable: variableOf(path)})
      // A relative path is looked up in systemd's credentials directory (LoadCredential=), else next to the config file.
      const full = isAbsolute(file) ? file : resolve(credentialsDir ?? baseDir, file)
      try {
        sec[key] = readFileSync(full, 'utf8').replace(/\r?\n$/, '')
      } catch (error) {
        throw new ConfigError(path, `cannot read ${full}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, `${fileKey}: /etc/concertim-openstack-service/${key}  (readable by this user, mode 0600)`, {
          variable: variableOf(path),
        })
      }
    }
  }
}

/** Values the original service accepted that our schema spells differently. */
function normaliseOriginalValues(doc: Record<string, unknown>): void {
  // The original wrote log levels in Python's upper case (DEBUG, WARNING, CRITICAL).
  if (typeof doc.log_level === 'string') {
    const level = normaliseLevel(doc.log_level)
    if (level) doc.log_level = level
  }
}

/** Rules across keys; an error names the variable that set one of the keys involved, if one did. */
function checkCrossKeys(config: Config, variableOf: (...paths: string[]) => string | undefined): void {
  const fail = (path: string, problem: string, example: string, involved: string[] = [path]): never => {
    throw new ConfigError(path, problem, example, {variable: variableOf(...involved)})
  }
  const os = config.openstack
  const password = os.password ?? os.admin_user_password
  if (!password) {
    fail('openstack.password', 'is missing: Keystone needs a password (or password_file, or CONCERTIM_OS_OPENSTACK_PASSWORD)', 'password_file: /etc/concertim-openstack-service/openstack.password')
  }
  const hasUser = Boolean(os.user_id ?? os.admin_user_id ?? os.username ?? os.admin_username)
  if (!hasUser) fail('openstack.username', 'is missing: give username (with user_domain_name) or user_id', 'username: admin')
  const hasProject = Boolean(os.project_id ?? os.admin_project_id ?? os.admin_tenant_id ?? os.project_name ?? os.admin_project_name ?? os.admin_tenant_name)
  if (!hasProject) fail('openstack.project_id', 'is missing: the token must be scoped to a project; give project_id, or project_name with project_domain_name', 'project_name: admin')
  if (!normaliseLevel(config.log_level)) {
    fail('log_level', `'${config.log_level}' is not a log level (trace, debug, info, warn, error, fatal, silent)`, 'log_level: info')
  }
  if (config.message_queue === 'rmq' && config.rmq === undefined) {
    fail('rmq', "is missing, but message_queue is 'rmq'", 'rmq:\n    rmq_address: rabbitmq.example.com', ['message_queue'])
  }
  if (config.billing_platform === 'killbill' && config.killbill === undefined) {
    fail('killbill', "is missing, but billing_platform is 'killbill'", 'killbill:\n    api_host: http://killbill.example.com:8080', ['billing_platform'])
  }
  if (config.store.type === 'redis' && !config.store.url) {
    fail('store.url', 'is required when store.type is redis', 'url: redis://127.0.0.1:6379/0', ['store.url', 'store.type'])
  }
}

function configErrorFrom(errors: ErrorObject[], variableOf: (path: string) => string | undefined): ConfigError {
  const problems = errors
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const path = keyPath(e)
      return {example: exampleFor(path), path, problem: describe(e)}
    })
  const first = problems[0]
  const more = problems
    .slice(1)
    .map((p) => `\n  also: ${configWhere(p.path, variableOf(p.path))}: ${p.problem}`)
    .join('')
  return new ConfigError(first.path, `${first.problem}${more}`, first.example, {variable: variableOf(first.path)})
}

function keyPath(e: ErrorObject): string {
  const base = e.instancePath.replace(/^\//, '').replaceAll('/', '.')
  if (e.keyword === 'required') {
    const missing = (e.params as {missingProperty: string}).missingProperty
    return base ? `${base}.${missing}` : missing
  }
  return base
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'enum': {
      return `must be one of ${((e.params as {allowedValues: unknown[]}).allowedValues).map((v) => JSON.stringify(v)).join(', ')}`
    }
    case 'maximum':
    case 'minimum': {
      return `${e.message ?? 'is out of range'}`
    }
    case 'pattern': {
      return /\^https\?/.test((e.params as {pattern: string}).pattern) ? 'must be a URL starting with http:// or https://' : `must match ${(e.params as {pattern: string}).pattern}`
    }
    case 'required': {
      return 'is missing'
    }
    case 'type': {
      return `must be ${(e.params as {type: string}).type === 'object' ? 'a mapping of keys' : `a${/^[aeiou]/.test(String((e.params as {type: string}).type)) ? 'n' : ''} ${(e.params as {type: string}).type}`}`
    }
    default: {
      return e.message ?? 'is invalid'
    }
  }
}

function exampleFor(path: string): string | undefined {
  let node: Record<string, unknown> | undefined = configSchema as Record<string, unknown>
  const parts = path.split('.').filter(Boolean)
  for (const part of parts) {
    const props = node?.properties as Record<string, Record<string, unknown>> | undefined
    node = props?.[part]
  }
  const examples = node?.examples as unknown[] | undefined
  if (!examples || examples.length === 0) return undefined
  const key = parts.at(-1) ?? ''
  const value = examples[0]
  return `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`
}

const KNOWN_TOP = new Set([...Object.keys(configSchema.properties as object)])

type SectionSchema = {additionalProperties?: unknown; properties: object}

function sectionSchema(section: string): SectionSchema {
  return (configSchema.properties as Record<string, SectionSchema>)[section]
}

function sectionKeys(section: string): string[] {
  return Object.keys(sectionSchema(section).properties)
}

/**
 * Warnings for the file's unknown keys, each with a "did you mean". They are ignored: left in place
 * where the section takes other keys (the original's sections), dropped where it does not (so that
 * a misspelling is a warning in every section, never a fatal "additional properties").
 */
function unknownKeyWarnings(doc: Record<string, unknown>): string[] {
  const out: string[] = []
  for (const key of Object.keys(doc)) {
    if (!KNOWN_TOP.has(key)) out.push(`unknown configuration key '${key}' is ignored${suggest(key, [...KNOWN_TOP])}`)
  }
  for (const section of SECTIONS) {
    const s = doc[section]
    if (s === null || typeof s !== 'object' || Array.isArray(s)) continue
    const known = sectionKeys(section)
    const strict = sectionSchema(section).additionalProperties === false
    for (const key of Object.keys(s)) {
      if (known.includes(key)) continue
      out.push(`unknown configuration key '${section}.${key}' is ignored${suggest(key, known)}`)
      if (strict) delete (s as Record<string, unknown>)[key]
    }
  }
  return out
}

function suggest(key: string, known: string[]): string {
  const best = closest(key, known)
  return best ? ` (did you mean '${best}'?)` : ''
}

/** The known key closest to a misspelt one: at most two edits away, or one it begins (`timeout` → `timeout_ms`). */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined
  let bestD = Number.POSITIVE_INFINITY
  for (const k of known) {
    const d = editDistance(key, k)
    const near = d <= 2 || (key.length >= 4 && (k.startsWith(`${key}_`) || key.startsWith(`${k}_`)))
    if (near && d < bestD) {
      best = k
      bestD = d
    }
  }
  return best
}

/**
 * The configuration's plain values (names, ids: what output prints) are declared public, so that a
 * secret with the same value masks nothing (see `declarePublic`); each such secret is a warning.
 */
function secretsShownAsNames(doc: Record<string, unknown>): string[] {
  const secretKeys = new Set(Object.entries(SECRET_KEYS).flatMap(([section, keys]) => keys.map((k) => `${section}.${k}`)))
  const names = new Map<string, string[]>()
  for (const [section, value] of Object.entries(doc)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'string' || secretKeys.has(`${section}.${k}`) || k.endsWith('_file') || /^https?:\/\//i.test(v)) continue
      names.set(v, [...(names.get(v) ?? []), `${section}.${k}`])
      declarePublic(v)
    }
  }
  const warnings: string[] = []
  for (const [section, keys] of Object.entries(SECRET_KEYS)) {
    const s = doc[section] as Record<string, unknown> | undefined
    for (const k of keys) {
      const v = s?.[k]
      // The name of its own section when there is one (concertim_password beside concertim_username).
      const same = typeof v === 'string' ? names.get(v) : undefined
      const name = same?.find((n) => n.startsWith(`${section}.`)) ?? same?.[0]
      if (name !== undefined) warnings.push(`${section}.${k} is the same as ${name}: it is not masked in output (where ${name} is printed anyway); a password that is not a name is safer`)
    }
  }
  return warnings
}
