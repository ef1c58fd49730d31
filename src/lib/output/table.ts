/**
 * Tables for people (stdout), fitted to the terminal: the width of a terminal when stdout is one,
 * else `COLUMNS`, else 80. Columns too wide to fit are narrowed widest first and their cells
 * wrapped — at spaces, else after `-`, `.`, `_`, `/` or `,`, else anywhere — never cut, so that two
 * long names that differ only at the end never read the same. Colour follows chalk's level.
 */
import chalk from 'chalk'
import Table from 'cli-table3'
import {stripVTControlCharacters} from 'node:util'

export const DEFAULT_WIDTH = 80
/** A column is never narrowed below this (unless its content is narrower). */
const MIN_COLUMN = 6

export interface TableOptions {
  /** Total width to fit in (default: `terminalWidth()`). */
  width?: number
  /** Ignored (columns are fitted to the width); kept for callers written before fitting. */
  wrap?: number[]
}

/** The width tables fit in: the terminal's when stdout is one, else `COLUMNS`, else 80. */
export function terminalWidth(stdout: {columns?: number; isTTY?: boolean} = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (stdout.isTTY && typeof stdout.columns === 'number' && stdout.columns > 0) return stdout.columns
  const fromEnv = Number(env.COLUMNS)
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_WIDTH
}

export function renderTable(head: string[], rows: (number | string)[][], opts: TableOptions = {}): string {
  const cells = rows.map((row) => head.map((_, i) => String(row[i] ?? '')))
  const natural = head.map((h, i) => Math.max(widthOf(h), ...cells.map((row) => widthOf(row[i]))))
  const widths = fitColumns(natural, opts.width ?? terminalWidth())
  const body = cells.map((row) => row.map((c, i) => wrapCell(c, widths[i])))
  const table = new Table({
    colWidths: widths.map((w) => w + 2),
    head: head.map((h, i) => chalk.bold(wrapCell(h, widths[i]))),
    // One line per row: compact. A row of several lines: a rule between rows, so that rows stay apart.
    style: {border: [], compact: !body.some((row) => row.some((c) => c.includes('\n'))), head: []},
  })
  for (const row of body) table.push(row)
  return table.toString()
}

/** A UUID (with or without its dashes): OpenStack's, Concertim's and Kill Bill's ids. */
const ID = /\b[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}\b|\b[\da-f]{32}\b/gi
/** Ids are never shortened below this many characters (git's short hashes are 7). */
const MIN_ID = 8

/**
 * The rows with every id shortened to the shortest prefix (at least 8 characters) that no other id
 * of the table shares, and `…`, when the table would not fit `width` columns otherwise: a UUID
 * wrapped over several lines is unreadable, and two ids shortened never read the same.
 * `shortened` says whether any was, for a note that `--format json` shows them whole.
 */
export function fitIds(head: readonly string[], rows: readonly (readonly string[])[], width: number = terminalWidth()): {rows: string[][]; shortened: boolean} {
  const copy = rows.map((r) => [...r])
  const natural = head.map((h, i) => Math.max(widthOf(h), ...copy.map((row) => widthOf(row[i] ?? ''))))
  if (natural.reduce((a, b) => a + b, 0) + 3 * natural.length + 1 <= width) return {rows: copy, shortened: false}
  const ids = [...new Set(copy.flatMap((row) => row.flatMap((c) => c.match(ID) ?? [])).map((id) => id.toLowerCase()))].sort()
  if (ids.length === 0) return {rows: copy, shortened: false}
  const keep = new Map<string, number>()
  ids.forEach((id, i) => {
    const common = Math.max(commonPrefix(id, ids[i - 1] ?? ''), commonPrefix(id, ids[i + 1] ?? ''))
    keep.set(id, Math.max(MIN_ID, common + 1))
  })
  let shortened = false
  const out = copy.map((row) =>
    row.map((c) =>
      c.replaceAll(ID, (id) => {
        const n = keep.get(id.toLowerCase()) ?? id.length
        if (n >= id.length - 1) return id
        shortened = true
        return `${id.slice(0, n)}…`
      }),
    ),
  )
  return {rows: out, shortened}
}

function commonPrefix(a: string, b: string): number {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

/**
 * Column widths (content, without padding) whose table fits `total` columns: the natural ones when
 * they fit, else the widest narrowed first, none below `MIN_COLUMN`. May still overflow when even
 * that does not fit.
 */
export function fitColumns(natural: readonly number[], total: number): number[] {
  const widths = [...natural]
  // Each column has a space either side and a border on its right; the table a border on its left.
  const available = total - (3 * widths.length + 1)
  let excess = widths.reduce((a, b) => a + b, 0) - available
  while (excess > 0) {
    let widest = -1
    for (let i = 0; i < widths.length; i++) if (widths[i] > MIN_COLUMN && (widest < 0 || widths[i] > widths[widest])) widest = i
    if (widest < 0) break
    widths[widest]--
    excess--
  }
  return widths
}

/** The text with each line wrapped to `width` display columns (at spaces, else after punctuation, else anywhere). */
export function wrapCell(text: string, width: number): string {
  return text
    .split('\n')
    .flatMap((line) => wrapLine(line, width))
    .join('\n')
}

function wrapLine(line: string, width: number): string[] {
  if (widthOf(line) <= width || width < 1) return [line]
  const out: string[] = []
  let rest = stripVTControlCharacters(line)
  while ([...rest].length > width) {
    const head = [...rest].slice(0, width + 1).join('')
    // Prefer a space (dropped), then a break after punctuation (kept), then a hard break.
    let cut = head.lastIndexOf(' ')
    let skip = 1
    if (cut <= 0) {
      cut = Math.max(...['-', '.', '_', '/', ','].map((c) => head.slice(0, width).lastIndexOf(c))) + 1
      skip = 0
    }
    if (cut <= 0) {
      cut = [...rest].slice(0, width).join('').length
      skip = 0
    }
    out.push(rest.slice(0, cut).trimEnd())
    rest = rest.slice(cut + skip).trimStart()
  }
  if (rest !== '') out.push(rest)
  return out
}

/** Display width of the widest line (colour codes take no room). */
function widthOf(text: string): number {
  return Math.max(0, ...text.split('\n').map((l) => [...stripVTControlCharacters(l)].length))
}

export const mark = {
  fail: () => chalk.red('✗'),
  ok: () => chalk.green('✓'),
  skip: () => chalk.dim('–'),
  warn: () => chalk.yellow('!'),
}
