/** "Did you mean": the closest of some known words to a misspelt one, by edit distance. */

/** Levenshtein distance between `a` and `b`. */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]
    dp[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return dp[b.length]
}

/**
 * The known word closest to `typed`, if it is close enough to be what was meant: at most
 * max(2, a third of its length) edits away. Ties go to the first known word.
 */
export function closest(typed: string, known: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(typed.length / 3))
  let best: string | undefined
  let bestD = limit + 1
  for (const k of known) {
    const d = editDistance(typed.toLowerCase(), k.toLowerCase())
    if (d < bestD) {
      best = k
      bestD = d
    }
  }
  return best
}
