/**
 * oclif's `command_not_found` hook (package.json oclif.hooks): a misspelt command gets the closest
 * command or topic, in the words the user types (`view dump`, never oclif's `view:dump`), and exit 2
 * (usage); under --json the error is the JSON document every command prints (stdout).
 */
import type {Hook} from '@oclif/core'

import {ExitCode} from '../lib/exit-codes.js'
import {closest} from '../lib/suggest.js'

const hook: Hook.CommandNotFound = async function ({argv, config, id}) {
  const words = (s: string) => s.split(':').join(' ')
  const typed = words(id)
  const known = [...config.commandIDs, ...config.topics.map((t) => t.name)].filter((c) => !c.startsWith('_')).map(words)
  const best = closest(typed, known)
  const message = `'${typed}' is not a ${config.bin} command`
  const hint = best === undefined ? `'${config.bin} --help' lists the commands` : `did you mean '${config.bin} ${best}'?`
  if (argv?.includes('--json')) {
    process.stdout.write(`${JSON.stringify({error: {code: 'E_USAGE', exitCode: ExitCode.USAGE, hint, message}}, null, 2)}\n`)
    this.exit(ExitCode.USAGE)
  }
  this.error(`${message}: ${hint}`, {exit: ExitCode.USAGE})
}

export default hook
