/**
 * oclif's help with a root page that says where to start (package.json oclif.helpClass): after the
 * commands, examples of the first hour (./root-examples.ts). The launcher prints the same pages
 * without loading oclif when it can (./help-page.ts): a change here must be made there too (the
 * parity test, test/integration/cli/help-page.test.ts, compares them).
 */
import {Help} from '@oclif/core'

import {ROOT_EXAMPLES, whereToStart} from './root-examples.js'

export default class ConcertimHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const bin = this.config.bin
    const body = ROOT_EXAMPLES.map(([description, command]) => `${this.wrap(description)}\n\n  $ ${bin} ${command}`).join('\n\n')
    this.log(this.section('EXAMPLES', body))
    this.log('')
    this.log(this.wrap(whereToStart(bin)))
  }
}
