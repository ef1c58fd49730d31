/**
 * Build step (`npm run build`, after tsc): write oclif.manifest.json for the built commands, so
 * `--help`, `--version` and the command lookup do not import every command module.
 * Run: tsx scripts/manifest.ts
 */
import {fileURLToPath} from 'node:url'

import {writeManifest} from '../src/lib/cli/manifest.js'

process.env.NODE_ENV = 'production' // the built commands (dist/), never the sources
const root = fileURLToPath(new URL('..', import.meta.url))
const manifest = await writeManifest(root)
process.stdout.write(`oclif.manifest.json: ${Object.keys(manifest.commands).length} commands (${Object.keys(manifest.commands).sort().join(', ')})\n`)
