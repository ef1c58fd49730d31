/**
 * Deterministic identifiers and choices for the simulated cloud: the same seed always yields the
 * same UUIDs, Keystone ids, MAC addresses and picks, so a generated cloud is reproducible.
 */
import {seededRandom} from './faults.js'

const HEX = Array.from({length: 256}, (_, i) => i.toString(16).padStart(2, '0'))

export class RandomSource {
  readonly next: () => number

  constructor(seed: number) {
    this.next = seededRandom(seed)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  /** 32 hex digits, as Keystone ids look. */
  hex32(): string {
    return this.word() + this.word() + this.word() + this.word()
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  /** A locally administered MAC with OpenStack's fa:16:3e prefix. */
  mac(): string {
    return `fa:16:3e:${HEX[this.int(0, 255)]}:${HEX[this.int(0, 255)]}:${HEX[this.int(0, 255)]}`
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  /** A version-4 shaped UUID. */
  uuid(): string {
    const a = this.word()
    const b = this.word()
    const c = this.word()
    const d = this.word()
    const variant = HEX[(Number.parseInt(c.slice(0, 2), 16) & 0x3f) | 0x80]
    return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${variant}${c.slice(2, 4)}-${c.slice(4)}${d}`
  }

  /** 8 hex digits from one draw. */
  private word(): string {
    return Math.floor(this.next() * 4_294_967_296)
      .toString(16)
      .padStart(8, '0')
  }
}

/** A stable 32-bit hash of a string (FNV-1a), used to derive per-entity seeds. */
export function hashString(s: string): number {
  let h = 0x81_1c_9d_c5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01_00_01_93)
  }
  return h >>> 0
}

/** A deterministic number in [0, 1) for (seed, k): stateless noise for lazily computed measures. */
export function noise(seed: number, k: number): number {
  let t = (seed ^ Math.imul(k | 0, 0x9e_37_79_b1)) >>> 0
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
}
