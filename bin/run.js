#!/usr/bin/env node
import {launch} from '../dist/lib/cli/launch.js'

await launch({dir: import.meta.url})
