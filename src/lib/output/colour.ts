/**
 * Whether output is coloured (clig.dev, no-color.org, and Node's own rules): `FORCE_COLOR` wins
 * (`0`/`false` off; `1`/`true`/empty 16 colours; `2` 256; `3` true colour) — also when stdout is
 * piped, which is what it is for; else `NO_COLOR` (non-empty) or `TERM=dumb` turn colour off; else
 * colour only on a terminal, at the level detected for it.
 */
export type ColourLevel = 0 | 1 | 2 | 3

export function colourLevel(env: NodeJS.ProcessEnv, isTTY: boolean, detected: ColourLevel): ColourLevel {
  const force = env.FORCE_COLOR
  if (force !== undefined) {
    const f = force.trim().toLowerCase()
    if (f === '0' || f === 'false') return 0
    if (f === '2') return 2
    if (f === '3') return 3
    return 1
  }
  if ((env.NO_COLOR ?? '') !== '' || env.TERM === 'dumb' || !isTTY) return 0
  return detected
}
