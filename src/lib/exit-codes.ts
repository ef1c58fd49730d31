/**
 * Exit codes of every concertim-os command (DESIGN §6). Cron, systemd and CI key on them.
 */
export const ExitCode = {
  /** Success, including `--dry-run` and "nothing to do". */
  OK: 0,
  /** A failure: a system unreachable or refusing, an unexpected error. */
  FAILURE: 1,
  /** Usage or configuration error: fix the command line or the config file. */
  USAGE: 2,
  /** The run finished but some actions failed (each is reported). */
  PARTIAL: 3,
  /** Stopped by deletion safety: more deletions than the cap (see `--allow-mass-delete`). */
  DELETION_CAP: 4,
  /** Another run holds the lock (cron overlap): not an error to alarm on. */
  LOCKED: 75,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
