/**
 * Read back the tables `renderTable` prints (box drawing, cells wrapped over several lines): the
 * text of every cell, its lines joined, per table, head first. Colour codes are dropped.
 */
import {stripVTControlCharacters} from 'node:util'

/** Each table of the text as rows of cells (the head is the first row). */
export function tablesIn(text: string): string[][][] {
  const tables: string[][][] = []
  let table: string[][] | undefined
  let block: string[][] = []
  const flush = () => {
    if (table && block.length > 0) table.push(block[0].map((_, i) => joinLines(block.map((line) => line[i] ?? ''))))
    block = []
  }
  for (const raw of stripVTControlCharacters(text).split('\n')) {
    const line = raw.trim()
    if (line.startsWith('┌')) {
      table = []
      continue
    }
    if (line.startsWith('├') || line.startsWith('└')) {
      flush()
      if (line.startsWith('└') && table) {
        tables.push(table)
        table = undefined
      }
      continue
    }
    if (table && line.startsWith('│')) block.push(line.slice(1, -1).split('│').map((c) => c.trim()))
  }
  return tables
}

/** A wrapped cell's lines joined back (a break at a space cannot be told from another: compare with `squeeze`). */
function joinLines(lines: string[]): string {
  return lines.filter((x) => x !== '').join(' ')
}

/** Text without its spaces, to compare a cell read back with what was put in it. */
export function squeeze(text: string): string {
  return text.replaceAll(/\s/g, '')
}

/** Every cell of every table, squeezed. */
export function squeezedCells(text: string): string[] {
  return tablesIn(text)
    .flat(2)
    .map((c) => squeeze(c))
}
