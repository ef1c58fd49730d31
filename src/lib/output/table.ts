import chalk from 'chalk'
import Table from 'cli-table3'

/** A table for people (stdout). Colour follows chalk's level (off with NO_COLOR or without a TTY). */
export function renderTable(head: string[], rows: (number | string)[][], opts: {wrap?: number[]} = {}): string {
  const table = new Table({
    ...(opts.wrap ? {colWidths: head.map((_, i) => opts.wrap?.[i] ?? null), wordWrap: true} : {}),
    head: head.map((h) => chalk.bold(h)),
    style: {border: [], compact: true, head: []},
  })
  for (const row of rows) table.push(row.map(String))
  return table.toString()
}

export const mark = {
  fail: () => chalk.red('✗'),
  ok: () => chalk.green('✓'),
  skip: () => chalk.dim('–'),
  warn: () => chalk.yellow('!'),
}
