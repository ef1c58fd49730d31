// `node --import ./test/support/record-imports.mjs …`: appends the URL of every module the process
// imports (ESM resolution, which is how our code loads packages) to $RECORD_IMPORTS_FILE.
import {register} from 'node:module'

register('./record-imports-hooks.mjs', import.meta.url)
