#!/usr/bin/env -S node --import tsx
import {launch} from '../src/lib/cli/launch.js'

await launch({development: true, dir: import.meta.url})
