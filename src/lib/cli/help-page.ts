/**
 * oclif's help pages, written from the command manifest without loading @oclif/core (loading it is
 * most of a `--help`'s start-up CPU). Byte for byte what @oclif/core 4's Help (with our
 * ./help.ts) prints for the same arguments, width and colour — test/integration/cli/help-page.test.ts
 * compares the two for every command and topic. It covers only what that test proves: the manifest
 * fields and text our commands use (plain text in a known set of characters, the `<%= config.bin %>`
 * and `<%= command.id %>` templates, no flag chars, summaries, aliases, hidden or required flags,
 * no flag relationships…). For anything else `helpPage` answers undefined and oclif prints the page.
 *
 * Each function names the oclif method it follows (lib/help/{index,command,docopts,formatter,root}.js,
 * wrap-ansi 7, string-width 4, indent-string 4): keep them in step when @oclif/core is upgraded.
 */
import {ROOT_EXAMPLES, whereToStart} from './root-examples.js'

export interface HelpFlag {
  allowNo?: boolean
  default?: unknown
  delimiter?: string
  description?: string
  env?: string
  hasDynamicHelp?: boolean
  helpGroup?: string
  helpValue?: string | string[]
  multiple?: boolean
  name: string
  options?: string[]
  type: 'boolean' | 'option'
}

export interface HelpArg {
  description?: string
  name: string
  required?: boolean
}

export interface HelpCommand {
  aliases?: string[]
  args?: Record<string, HelpArg>
  description?: string
  examples?: (string | {command: string; description: string})[] | string
  flags?: Record<string, HelpFlag>
  hasDynamicHelp?: boolean
  hiddenAliases?: string[]
  id: string
  strict?: boolean
}

export interface HelpModel {
  /** package.json oclif.bin */
  bin: string
  /** Every command, the plugins' too (the `help` command), as their manifests have them. */
  commands: HelpCommand[]
  /** package.json oclif.description or description */
  description: string
  /** package.json oclif.additionalHelpFlags */
  helpFlags: string[]
  /** package.json oclif.topics, as a list */
  topics: {description?: string; name: string}[]
  /** oclif's config.userAgent (the VERSION section) */
  userAgent: string
}

export type HelpSubject = {id: string; kind: 'command'} | {kind: 'root'} | {kind: 'topic'; name: string}

/** Bold and underline as oclif's colorize would write them (ansis when colour is on), or plain. */
export interface PageStyle {
  bold(text: string): string
  underline(text: string): string
}

export const PLAIN: PageStyle = {bold: (t) => t, underline: (t) => t}

/** Thrown inside the renderer for what it cannot prove it writes as oclif does. */
class Unrenderable extends Error {}

// ---- text: string-width 4, wrap-ansi 7 (hard, trim), indent-string 4, for the characters below ----

/**
 * The characters a page may hold besides `\n`: each one column wide for string-width 4 (no East
 * Asian wide, emoji, combining or control character) and unchanged by NFC (the unit test checks).
 */
const TEXT = /^[\n\u0020-\u007E\u00A0-\u00FF\u2010-\u2026\u2190-\u2193\u2212\u2264\u2265]*$/
export const TEXT_CHARACTERS = TEXT

const ESC = '\u001B'
const BELL = '\u0007'
const SGR = new RegExp(`${ESC}\\[\\d+m`, 'g')
const STYLE_OR_LINK = new RegExp(`(?:\\[(?<code>\\d+)m|\\]8;;(?<uri>.*)${BELL})`)
/** ansi-styles' codes: the close code of each open code we write (bold, underline). */
const CLOSE_CODE = new Map([[1, 22], [4, 24]])

/** string-width 4 for TEXT and our SGR codes. */
export function stringWidth(text: string): number {
  if (text.length === 0) return 0
  let width = 0
  for (const ch of text.replace(SGR, '')) {
    const code = ch.codePointAt(0) ?? 0
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) continue
    if (code >= 0x300 && code <= 0x36f) continue
    width++
  }
  return width
}

/** wrap-ansi's wrapWord: a word longer than the row, cut into rows. */
function wrapWord(rows: string[], word: string, columns: number): void {
  const characters = [...word]
  let isInsideEscape = false
  let isInsideLinkEscape = false
  let visible = stringWidth(rows.at(-1) ?? '')
  for (const [index, character] of characters.entries()) {
    const characterLength = stringWidth(character)
    if (visible + characterLength <= columns) rows[rows.length - 1] += character
    else {
      rows.push(character)
      visible = 0
    }
    if (character === ESC || character === '\u009B') {
      isInsideEscape = true
      isInsideLinkEscape = characters.slice(index + 1).join('').startsWith(']8;;')
    }
    if (isInsideEscape) {
      if (isInsideLinkEscape) {
        if (character === BELL) {
          isInsideEscape = false
          isInsideLinkEscape = false
        }
      } else if (character === 'm') isInsideEscape = false
      continue
    }
    visible += characterLength
    if (visible === columns && index < characters.length - 1) {
      rows.push('')
      visible = 0
    }
  }
  if (!visible && (rows.at(-1) ?? '').length > 0 && rows.length > 1) rows[rows.length - 2] += rows.pop()
}

/** wrap-ansi's stringVisibleTrimSpacesRight. */
function trimSpacesRight(text: string): string {
  const words = text.split(' ')
  let last = words.length
  while (last > 0) {
    if (stringWidth(words[last - 1]) > 0) break
    last--
  }
  if (last === words.length) return text
  return words.slice(0, last).join(' ') + words.slice(last).join('')
}

/** wrap-ansi's re-opening of a style across the line breaks it made. */
function reopenStyles(text: string): string {
  if (!text.includes(ESC)) return text
  const pre = [...text]
  let out = ''
  let escapeCode: number | undefined
  for (const [index, character] of pre.entries()) {
    out += character
    if (character === ESC) {
      const groups = STYLE_OR_LINK.exec(pre.slice(index).join(''))?.groups ?? {}
      if (groups.uri !== undefined) throw new Unrenderable('a hyperlink')
      if (groups.code !== undefined) {
        const code = Number.parseFloat(groups.code)
        escapeCode = code === 39 ? undefined : code
      }
    }
    const close = CLOSE_CODE.get(Number(escapeCode))
    if (pre[index + 1] === '\n') {
      if (escapeCode && close) out += `${ESC}[${close}m`
    } else if (character === '\n' && escapeCode && close) out += `${ESC}[${escapeCode}m`
  }
  return out
}

/** wrap-ansi's exec with {hard: true} for one line. */
function wrapLine(line: string, columns: number): string {
  if (line.trim() === '') return ''
  const words = line.split(' ')
  const lengths = words.map((w) => stringWidth(w))
  let rows = ['']
  for (const [index, word] of words.entries()) {
    rows[rows.length - 1] = rows[rows.length - 1].trimStart()
    let rowLength = stringWidth(rows[rows.length - 1])
    if (index !== 0 && rowLength > 0) {
      rows[rows.length - 1] += ' '
      rowLength++
    }
    if (lengths[index] > columns) {
      const remainingColumns = columns - rowLength
      const breaksStartingThisLine = 1 + Math.floor((lengths[index] - remainingColumns - 1) / columns)
      const breaksStartingNextLine = Math.floor((lengths[index] - 1) / columns)
      if (breaksStartingNextLine < breaksStartingThisLine) rows.push('')
      wrapWord(rows, word, columns)
      continue
    }
    if (rowLength + lengths[index] > columns && rowLength > 0 && lengths[index] > 0) rows.push('')
    rows[rows.length - 1] += word
  }
  rows = rows.map((r) => trimSpacesRight(r))
  return reopenStyles(rows.join('\n'))
}

/** wrap-ansi 7 with {hard: true}. */
export function wrapAnsi(text: string, columns: number): string {
  return text
    .normalize()
    .replaceAll('\r\n', '\n')
    .split('\n')
    .map((line) => wrapLine(line, columns))
    .join('\n')
}

/** indent-string 4: blank lines stay blank. */
function indentString(text: string, count: number): string {
  return count === 0 ? text : text.replace(/^(?!\s*$)/gm, ' '.repeat(count))
}

// ---- oclif's utilities ----

/** oclif's util compare (sortBy's). */
function compare(a: unknown, b: unknown): number {
  a = a === undefined ? 0 : a
  b = b === undefined ? 0 : b
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length === 0 && b.length === 0) return 0
    const diff = compare(a[0], b[0])
    if (diff !== 0) return diff
    return compare(a.slice(1), b.slice(1))
  }
  if ((a as number) < (b as number)) return -1
  if ((a as number) > (b as number)) return 1
  return 0
}

function sortBy<T>(items: T[], key: (t: T) => unknown): T[] {
  return items.sort((a, b) => compare(key(a), key(b)))
}

function compact<T>(items: (false | null | T | undefined)[]): T[] {
  return items.filter((t): t is T => Boolean(t))
}

const LINE_FEED = /\r\n|\n/

/** ejs's escapeXML, as `<%= %>` writes a value. */
function escapeXml(text: string): string {
  return text.replaceAll(/[&<>'"]/g, (c) => ({'"': '&#34;', '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;'})[c] ?? c)
}

// ---- HelpFormatter (lib/help/formatter.js) ----

class Formatter {
  /**
   * @param commandId the command of a CommandHelp (its `<%= command.id %>`); oclif's Help and
   * RootHelp have none (ejs would throw on that template there).
   */
  constructor(
    readonly bin: string,
    readonly maxWidth: number,
    readonly style: PageStyle,
    readonly commandId?: string,
  ) {}

  /** ejs render with this formatter as context, for the two templates our texts use. */
  render(text: string): string {
    let out = text.replaceAll('<%= config.bin %>', escapeXml(this.bin))
    if (this.commandId !== undefined) out = out.replaceAll('<%= command.id %>', escapeXml(this.commandId))
    if (out.includes('<%') || out.includes('%>')) throw new Unrenderable(`a template in ${JSON.stringify(text)}`)
    return out
  }

  wrap(body: string, spacing = 2): string {
    return wrapAnsi(this.render(body), this.maxWidth - spacing)
  }

  indent(body: string, spacing = 2): string {
    return indentString(body, spacing)
  }

  renderList(input: [string, string | undefined][], opts: {indentation: number; spacer?: string}): string {
    if (input.length === 0) return ''
    const renderMultiline = (): string => {
      let output = ''
      for (const [left, right] of input) {
        if (!left && !right) continue
        if (left) output += this.wrap(left.trim(), opts.indentation)
        if (right) {
          output += '\n'
          output += this.indent(this.wrap(right.trim(), opts.indentation + 2), 4)
        }
        output += '\n\n'
      }
      return output.trim()
    }
    const maxLength = Math.max(0, ...input.map((i) => i[0]).join('\n').split('\n').map((l) => stringWidth(l)))
    let output = ''
    const spacer = opts.spacer || '\n'
    let cur = ''
    for (const [left, r] of input) {
      let right = r
      if (cur) {
        output += spacer
        output += cur
      }
      cur = left || ''
      if (!right) {
        cur = cur.trim()
        continue
      }
      right = this.wrap(right.trim(), opts.indentation + maxLength + 2)
      const [first, ...lines] = right.split('\n').map((s) => s.trim())
      cur += ' '.repeat(maxLength - stringWidth(cur) + 2)
      cur += first
      if (lines.length === 0) continue
      if (lines.length > 4) return renderMultiline()
      cur += '\n'
      cur += this.indent(lines.join('\n'), maxLength + 2)
    }
    if (cur) {
      output += spacer
      output += cur
    }
    return output.trim()
  }

  section(header: string, body: [string, string | undefined][] | string): string {
    const newBody =
      typeof body === 'string'
        ? this.render(body)
        : this.renderList(
            body.map(([left, right]) => [this.render(left), right && this.render(right)]),
            {indentation: 2},
          )
    return [this.style.bold(header), this.indent(newBody)].join('\n')
  }
}

// ---- CommandHelp and DocOpts (lib/help/command.js, docopts.js) ----

const COMMAND_KEYS = new Set(['aliases', 'args', 'description', 'enableJsonFlag', 'examples', 'flags', 'hasDynamicHelp', 'hiddenAliases', 'id', 'isESM', 'pluginAlias', 'pluginName', 'pluginType', 'relativePath', 'strict'])
const FLAG_KEYS = new Set(['allowNo', 'default', 'delimiter', 'description', 'env', 'hasDynamicHelp', 'helpGroup', 'helpValue', 'multiple', 'name', 'options', 'type'])
const ARG_KEYS = new Set(['description', 'name', 'required'])
const NAME = /^[a-z][a-z0-9-]*$/

/** Whether the command page uses only what this module writes as oclif does. */
function pageable(cmd: HelpCommand): boolean {
  if (!Object.keys(cmd).every((k) => COMMAND_KEYS.has(k))) return false
  if ((cmd.aliases ?? []).length > 0 || (cmd.hiddenAliases ?? []).length > 0 || cmd.hasDynamicHelp === true) return false
  const flagsOk = Object.entries(cmd.flags ?? {}).every(
    ([k, f]) =>
      f.name === k &&
      NAME.test(k) &&
      (f.type === 'boolean' || f.type === 'option') &&
      Object.keys(f).every((key) => FLAG_KEYS.has(key)) &&
      (f.options === undefined || (Array.isArray(f.options) && f.options.every((o) => typeof o === 'string'))) &&
      (f.helpValue === undefined || typeof f.helpValue === 'string') &&
      ['string', 'number', 'undefined'].includes(typeof f.default),
  )
  const argsOk = Object.entries(cmd.args ?? {}).every(([k, a]) => a.name === k && NAME.test(k) && Object.keys(a).every((key) => ARG_KEYS.has(key)))
  const examplesOk =
    cmd.examples === undefined ||
    typeof cmd.examples === 'string' ||
    (Array.isArray(cmd.examples) &&
      cmd.examples.every((e) => typeof e === 'string' || (typeof e === 'object' && e !== null && typeof e.command === 'string' && typeof e.description === 'string' && Object.keys(e).length === 2)))
  return flagsOk && argsOk && examplesOk
}

/** DocOpts.formatUsageType */
function usageType(flag: HelpFlag, showOptions: boolean): string {
  if (flag.type !== 'option') return ''
  let helpValues: string[]
  if (flag.helpValue) helpValues = typeof flag.helpValue === 'string' ? [flag.helpValue] : flag.helpValue
  else if (flag.options) helpValues = [showOptions ? flag.options.join('|') : '<option>']
  else helpValues = ['<value>']
  return helpValues.map((v) => `${v}${flag.multiple ? '...' : ''}`).join(' ')
}

/** DocOpts.toString, without flag relationships (none allowed by `pageable`). */
function docopts(cmd: HelpCommand): string {
  const opts = ['<%= command.id %>']
  if (cmd.args) {
    opts.push(
      ...Object.values(cmd.args).map((arg) => {
        const suffix = cmd.strict === false ? '...' : ''
        return arg.required ? `${arg.name.toUpperCase()}${suffix}` : `[${arg.name.toUpperCase()}${suffix}]`
      }),
    )
  }
  const elements: Record<string, string> = {}
  for (const flag of Object.values(cmd.flags ?? {})) {
    elements[flag.name] = `[--${flag.name}${flag.type === 'option' ? ` ${usageType(flag, true)}` : ''}]`
  }
  opts.push(...Object.values(elements))
  return opts.join(' ')
}

class CommandPage extends Formatter {
  constructor(
    readonly cmd: HelpCommand,
    bin: string,
    maxWidth: number,
    style: PageStyle,
  ) {
    super(bin, maxWidth, style, cmd.id.replaceAll(':', ' '))
  }

  args(args: HelpArg[]): [string, string | undefined][] | undefined {
    if (args.filter((a) => a.description).length === 0) return undefined
    return args.map((a) => {
      let name = `${a.name.toUpperCase()}${this.cmd.strict === false ? '...' : ''}`
      name = a.required ? name : `[${name}]`
      return [name, a.description || undefined]
    })
  }

  description(): string | undefined {
    if (!this.cmd.description) return undefined
    return this.wrap(this.cmd.description.split(LINE_FEED).join('\n'))
  }

  examples(examples: HelpCommand['examples']): string | undefined {
    if (!examples || examples.length === 0) return undefined
    return (Array.isArray(examples) ? examples : [examples])
      .map((a) => {
        let description: string
        let commands: string[]
        if (typeof a === 'string') {
          const lines = a.split(LINE_FEED).filter(Boolean)
          if (lines.length >= 2 && !this.isCommand(lines[0]) && lines.slice(1).every((i) => this.isCommand(i))) {
            description = lines[0]
            commands = lines.slice(1)
          } else return lines.map((line) => this.formatIfCommand(line)).join('\n')
        } else {
          description = a.description
          commands = [a.command]
        }
        const multilineCommands = commands.map((c) => this.indent(this.wrap(this.formatIfCommand(c), 4 + 4)).split(LINE_FEED).join(' \\\n  ')).join('\n')
        return `${this.wrap(description, 4)}\n\n${multilineCommands}`
      })
      .join('\n\n')
  }

  flagHelpLabel(flag: HelpFlag): string {
    let label = ['  ', flag.type === 'boolean' && flag.allowNo ? `--[no-]${flag.name.trim()}` : `--${flag.name.trim()}`].join('  ')
    if (flag.type === 'option') {
      let value = usageType(flag, false)
      if (!value.includes('|')) value = this.style.underline(value)
      label += `=${value}`
    }
    return label
  }

  flags(flags: HelpFlag[]): [string, string][] | undefined {
    if (flags.length === 0) return undefined
    return flags.map((flag) => {
      const left = this.flagHelpLabel(flag).replace('    ', '') // no flag has a char
      let right = flag.description || ''
      const metadata: string[] = []
      if (flag.type === 'option') {
        if (flag.default) metadata.push(`default: ${flag.default as number | string}`)
        if (flag.env) metadata.push(`env: ${flag.env}`)
      } else if (flag.env) metadata.push(`env: ${flag.env}`)
      if (metadata.length > 0) right = `[${metadata.join(', ')}] ${right}`
      if (flag.type === 'option' && flag.options && !flag.helpValue) right += `\n<options: ${flag.options.join('|')}>`
      return [left, right.trim()]
    })
  }

  formatIfCommand(example: string): string {
    example = this.render(example)
    if (example.startsWith(this.bin)) return `$ ${example}`
    if (example.startsWith(`$ ${this.bin}`)) return `$${example.replace('$', '')}`
    return example
  }

  /** CommandHelp.generate */
  generate(): string {
    const flags = sortBy(Object.values(this.cmd.flags ?? {}), (f) => [true, undefined, f.name])
    const args = Object.values(this.cmd.args ?? {})
    const mainFlags = flags.filter((f) => !f.helpGroup)
    const groups = new Map<string, HelpFlag[]>()
    for (const f of flags) if (f.helpGroup) groups.set(f.helpGroup, [...(groups.get(f.helpGroup) ?? []), f])
    const flagSections = compact([
      mainFlags.length > 0 && {body: this.flags(mainFlags) ?? [], header: 'FLAGS'},
      ...[...groups].map(([name, fs]) => ({body: this.flags(fs) ?? [], header: `${name.toUpperCase()} FLAGS`})),
    ])
    const argsBody = this.args(args)
    const description = this.description()
    const examples = this.examples(this.cmd.examples)
    return compact([
      this.section('USAGE', this.usage()),
      argsBody ? this.section('ARGUMENTS', argsBody) : '',
      flagSections.map((s) => this.section(s.header, s.body)).join('\n\n'),
      description && this.section('DESCRIPTION', description),
      examples && this.section('EXAMPLES', examples),
    ]).join('\n\n')
  }

  isCommand(example: string): boolean {
    return this.formatIfCommand(example).startsWith(`$ ${this.bin}`)
  }

  usage(): string {
    const id = this.commandId ?? ''
    const standardId = id.replaceAll(' ', ':')
    const configuredId = id.replaceAll(':', ' ')
    const u = docopts(this.cmd)
    const allowedSpacing = this.maxWidth - 2
    const commandDescription = u
      .replace('<%= command.id %>', '')
      .replace(new RegExp(`^${standardId}`), '')
      .replace(new RegExp(`^${configuredId}`), '')
      .trim()
    const line = `$ ${this.bin} <%= command.id %> ${commandDescription}`.trim()
    if (line.length > allowedSpacing) {
      const splitIndex = line.slice(0, Math.max(0, allowedSpacing)).lastIndexOf(' ')
      return line.slice(0, Math.max(0, splitIndex)) + '\n' + this.indent(this.wrap(line.slice(Math.max(0, splitIndex)), 4))
    }
    return this.wrap(line)
  }
}

// ---- Help, RootHelp and our ConcertimHelp (lib/help/index.js, root.js; ./help.ts) ----

type Topic = {description?: string; name: string}

class Pages extends Formatter {
  constructor(
    readonly model: HelpModel,
    maxWidth: number,
    style: PageStyle,
  ) {
    super(model.bin, maxWidth, style)
  }

  /**
   * Config's topics: package.json's, then one for each prefix of a command id (Config.loadTopics),
   * described as the first such command (in localeCompare order, by plugin). A prefix that is not
   * a package.json topic and starts more than one command is left to oclif: sorting as it does
   * costs ICU's collator (5 ms), and our commands have none.
   */
  get allTopics(): Topic[] {
    const topics = new Map<string, Topic>()
    for (const t of this.model.topics) topics.set(t.name, t)
    const declared = new Set(topics.keys())
    for (const c of this.model.commands) {
      const parts = c.id.split(':')
      while (parts.length > 0) {
        const name = parts.join(':')
        if (!declared.has(name) && topics.has(name)) throw new Unrenderable(`topic ${name} of several commands`)
        if (!topics.has(name)) topics.set(name, {description: c.description, name})
        parts.pop()
      }
    }
    return [...topics.values()]
  }

  get sortedCommands(): HelpCommand[] {
    return sortBy([...this.model.commands], (c) => c.id)
  }

  /** Help._topics, sorted: the topics with a sub-topic. */
  get sortedTopics(): Topic[] {
    const all = this.allTopics
    return sortBy(
      all.filter((t) => all.some((sub) => sub.name.includes(`${t.name}:`))),
      (t) => t.name,
    )
  }

  formatCommands(commands: HelpCommand[]): string {
    if (commands.length === 0) return ''
    const body = this.renderList(
      commands.map((c) => [c.id.replaceAll(':', ' '), this.summary(c)]),
      {indentation: 2, spacer: '\n'},
    )
    return this.section('COMMANDS', body)
  }

  formatTopic(topic: Topic): string {
    const rendered = this.render(topic.description || '')
    const summary = rendered.split('\n')[0]
    const description = rendered.split('\n').slice(1).join('\n')
    const topicID = `${topic.name}:COMMAND`.replaceAll(':', ' ')
    const output = compact([summary, this.section('USAGE', `$ ${this.bin} ${topicID}`), description && this.section('DESCRIPTION', this.wrap(description))]).join('\n\n')
    return output + '\n'
  }

  formatTopics(topics: Topic[]): string {
    if (topics.length === 0) return ''
    const body = this.renderList(
      topics.map((c) => [c.name.replaceAll(':', ' '), c.description && this.render(c.description.split('\n')[0])]),
      {indentation: 2, spacer: '\n'},
    )
    return this.section('TOPICS', body)
  }

  /** RootHelp.root */
  root(): string {
    const description = this.render(this.model.description)
    const rest = description.split('\n').slice(1).join('\n')
    return compact([
      description.split('\n')[0],
      this.section('VERSION', this.wrap(this.model.userAgent)),
      this.section('USAGE', this.wrap(`$ ${this.bin} [COMMAND]`)),
      rest && this.section('DESCRIPTION', this.wrap(rest)),
    ]).join('\n\n')
  }

  commandPage(cmd: HelpCommand): string {
    const lines: string[] = []
    const summary = this.summary(cmd)
    if (summary) lines.push(summary + '\n')
    lines.push(new CommandPage(cmd, this.bin, this.maxWidth, this.style).generate(), '')
    return lines.map((l) => `${l}\n`).join('')
  }

  rootPage(): string {
    const lines = [this.root(), '']
    const rootTopics = this.sortedTopics.filter((t) => !t.name.includes(':'))
    const rootCommands = this.sortedCommands.filter((c) => !c.id.includes(':'))
    if (rootTopics.length > 0) lines.push(this.formatTopics(rootTopics), '')
    if (rootCommands.length > 0) lines.push(this.formatCommands(rootCommands.filter((c) => c.id)), '')
    const body = ROOT_EXAMPLES.map(([description, command]) => `${this.wrap(description)}\n\n  $ ${this.bin} ${command}`).join('\n\n')
    lines.push(this.section('EXAMPLES', body), '', this.wrap(whereToStart(this.bin)))
    return lines.map((l) => `${l}\n`).join('')
  }

  summary(c: HelpCommand): string | undefined {
    return c.description ? this.render(c.description).split('\n')[0] : undefined
  }

  topicPage(topic: Topic): string {
    const depth = topic.name.split(':').length
    const below = (name: string): boolean => name.startsWith(`${topic.name}:`) && name.split(':').length === depth + 1
    const subTopics = this.sortedTopics.filter((t) => below(t.name))
    const commands = this.sortedCommands.filter((c) => below(c.id))
    const lines = [this.formatTopic(topic)]
    if (subTopics.length > 0) lines.push(this.formatTopics(subTopics), '')
    if (commands.length > 0) lines.push(this.formatCommands(commands), '')
    return lines.map((l) => `${l}\n`).join('')
  }
}

/** Every string in `value`, however deep. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap((v) => strings(v))
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap((v) => strings(v))
  return []
}

/** Whether the whole model is what this module can write: known characters, ids and topics. */
function modelOk(model: HelpModel): boolean {
  if (!strings(model).every((s) => TEXT.test(s))) return false
  const ids = model.commands.map((c) => c.id)
  if (new Set(ids).size !== ids.length) return false
  if (!ids.every((id) => id.split(':').every((p) => NAME.test(p)))) return false
  if (!model.topics.every((t) => t.name.split(':').every((p) => NAME.test(p)) && Object.keys(t).every((k) => k === 'name' || k === 'description'))) return false
  // In the lists: only the id and the description are read (no summary, hidden or aliases).
  return model.commands.every((c) => !('summary' in c) && !('hidden' in c) && (c.aliases ?? []).length === 0)
}

/**
 * The page oclif's help shows for these arguments (after the bin), when it is one this module
 * writes: the root page (no arguments; `--help`, `-h`, `help`, `help --help`), a command's or a
 * package.json topic's (`<words> --help`, `<words> -h`, `help <words>`). Anything else — another
 * flag, a help flag anywhere but last, a word oclif would not take as this id — is undefined.
 */
export function helpSubject(argv: readonly string[], model: HelpModel): HelpSubject | undefined {
  const helpFlags = [...new Set([...model.helpFlags, '--help'])]
  const isWord = (w: string): boolean => w !== 'help' && NAME.test(w)
  const subject = (words: readonly string[]): HelpSubject | undefined => {
    if (words.length === 0) return {kind: 'root'}
    if (!words.every((w) => isWord(w))) return undefined
    const id = words.join(':')
    if (model.commands.some((c) => c.id === id)) return {id, kind: 'command'}
    if (model.topics.some((t) => t.name === id) && model.commands.some((c) => c.id.startsWith(`${id}:`))) return {kind: 'topic', name: id}
    return undefined
  }
  if (argv.length === 0) return {kind: 'root'}
  if (argv[0] === 'help') {
    const rest = argv.slice(1)
    if (rest.length === 1 && helpFlags.includes(rest[0])) return {kind: 'root'}
    return subject(rest)
  }
  const last = argv.at(-1) ?? ''
  if (!helpFlags.includes(last)) return undefined
  return subject(argv.slice(0, -1))
}

/**
 * What oclif's help writes to stdout for `subject` at this width (its maxWidth) and style, or
 * undefined when this module cannot prove it writes the same (then oclif must).
 */
export function helpPage(model: HelpModel, subject: HelpSubject, opts: {maxWidth: number; style: PageStyle}): string | undefined {
  if (!Number.isInteger(opts.maxWidth) || opts.maxWidth < 40 || opts.maxWidth > 1000) return undefined
  if (!modelOk(model)) return undefined
  const pages = new Pages(model, opts.maxWidth, opts.style)
  try {
    if (subject.kind === 'root') return pages.rootPage()
    if (subject.kind === 'topic') {
      const topic = pages.allTopics.find((t) => t.name === subject.name)
      return topic && pages.topicPage(topic)
    }
    const cmd = model.commands.find((c) => c.id === subject.id)
    if (!cmd || !pageable(cmd)) return undefined
    // A command with sub-commands or sub-topics: oclif lists them after its page (not written here).
    if (model.commands.some((c) => c.id.startsWith(`${cmd.id}:`))) return undefined
    return pages.commandPage(cmd)
  } catch (error) {
    if (error instanceof Unrenderable) return undefined
    throw error
  }
}
