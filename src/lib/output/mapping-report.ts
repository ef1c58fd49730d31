/**
 * The mapping between Concertim, OpenStack and Kill Bill as tables for people (`view dump`, `demo`):
 * one table per type, fitted to the width, ids shortened when they would not fit (see `fitIds`).
 */
import {mappingTables, type ViewMapping} from '../view/mapping.js'
import {fitIds, renderTable, terminalWidth} from './table.js'

export interface MappingReportOptions {
  /** Rows shown at most per table title (e.g. `{Devices: 15}`); the rest is counted. */
  maxRows?: Record<string, number>
  width?: number
}

/** The lines to print; empty when there is nothing to show. */
export function renderMapping(view: ViewMapping, opts: MappingReportOptions = {}): string[] {
  const width = opts.width ?? terminalWidth()
  const lines: string[] = []
  let shortened = false
  for (const t of mappingTables(view)) {
    const max = opts.maxRows?.[t.title]
    const shown = max === undefined ? t.rows : t.rows.slice(0, max)
    const fitted = fitIds(t.head, shown, width)
    shortened ||= fitted.shortened
    lines.push(`${t.title} (${t.rows.length})`, renderTable(t.head, fitted.rows, {width}))
    if (shown.length < t.rows.length) lines.push(`… and ${t.rows.length - shown.length} more (concertim-os view dump shows them all)`)
    lines.push('')
  }
  if (shortened) lines.push(`Ids shortened to fit ${width} columns; view dump --format json shows them whole.`)
  return lines
}
