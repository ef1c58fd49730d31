/**
 * Where the password of a new Keystone user comes from: a file, standard input, or generated and
 * written once to a file of mode 0600 — never to the terminal, a log or `--json`. Every password is
 * registered for redaction the moment it is known.
 */
import {randomBytes} from 'node:crypto'
import {constants, type FileHandle, open, readFile, unlink} from 'node:fs/promises'

import {registerSecret} from '../output/redact.js'
import {IdentityInputError} from './errors.js'

/** The first line of a file (a trailing newline is not part of the password). */
export async function readPasswordFile(path: string): Promise<string> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new IdentityInputError(`cannot read the password file ${path} (${code})`, 'give a readable file holding the password on its first line', 'E_PASSWORD_FILE')
  }
  return checked(text.split(/\r?\n/)[0], `the password file ${path}`)
}

/** Everything piped to standard input, without its trailing newline. */
export async function readPasswordStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) throw new IdentityInputError('--password-stdin reads a password piped in, but standard input is a terminal', "pipe it in, e.g. `pass show alice | concertim-os users create alice --password-stdin`", 'E_PASSWORD_STDIN')
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer))
  return checked(Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, ''), 'standard input')
}

/** 32 characters of URL-safe base64 from 24 random bytes (192 bits). */
export function generatePassword(): string {
  const password = randomBytes(24).toString('base64url')
  registerSecret(password)
  return password
}

function checked(password: string, from: string): string {
  if (password === '') throw new IdentityInputError(`${from} holds no password (it is empty)`, 'put the password on its first line', 'E_PASSWORD_EMPTY')
  registerSecret(password)
  return password
}

/**
 * The file generated passwords go to: created (never overwritten) with mode 0600 when the first
 * password is written, each line synced to disk before the user is created in Keystone — so a crash
 * after the creation never loses the password.
 */
export class PasswordOut {
  private file?: FileHandle
  private queue: Promise<unknown> = Promise.resolve()
  private written = 0

  constructor(
    readonly path: string,
    /** `password`: the file holds one password; `lines`: one `LOGIN PASSWORD` line per user. */
    readonly format: 'lines' | 'password',
  ) {}

  /** How many passwords were written. */
  get count(): number {
    return this.written
  }

  /** Generate a password for `login`, write it, and return it (concurrent calls write one line each, in turn). */
  async next(login: string): Promise<string> {
    const password = generatePassword()
    const write = this.queue.then(async () => {
      this.file ??= await this.create()
      await this.file.write(this.format === 'password' ? `${password}\n` : `${login} ${password}\n`)
      await this.file.sync()
      this.written++
    })
    this.queue = write.catch(() => undefined)
    await write
    return password
  }

  private async create(): Promise<FileHandle> {
    try {
      // O_EXCL: an existing file (a password from another run) is never overwritten.
      return await open(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unwritable'
      throw new IdentityInputError(`cannot create the password file ${this.path} (${code})`, code === 'EEXIST' ? 'it exists already (a password from an earlier run?): move it away or give another --password-out' : 'give a writable path for --password-out', 'E_PASSWORD_OUT')
    }
  }

  async close(): Promise<void> {
    await this.queue
    await this.file?.close()
    this.file = undefined
  }

  /** Remove the file (its passwords are for users that were rolled back). */
  async discard(): Promise<void> {
    await this.close()
    if (this.written > 0) await unlink(this.path).catch(() => undefined)
  }
}

/** Checks of a path given to --password-out before anything is done (exit 2 when it cannot work). */
export async function checkPasswordOut(path: string): Promise<void> {
  try {
    await open(path, constants.O_RDONLY).then(async (f) => f.close())
  } catch {
    return // absent: good
  }
  throw new IdentityInputError(`the password file ${path} exists already`, 'move it away or give another --password-out (a password file is never overwritten)', 'E_PASSWORD_OUT')
}
