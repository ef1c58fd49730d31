/**
 * Key pairs of the app's users, with their own credentials (a key pair belongs to a Keystone user).
 * Creating the same key pair twice (the app's retry) yields one: an imported key that exists with
 * the same public key is returned; a generated one cannot be (its private key was given once), so
 * the second attempt is a 409 that says so.
 */
import {HttpError} from '../http/index.js'
import type {NovaClient, NovaKeyPair} from '../openstack/nova.js'
import {ActionRefused} from './errors.js'

/** A key pair as the app reads it (`id` is the name, as novaclient's `Keypair.id`). */
export interface KeyPairView {
  fingerprint: string
  id: string
  name: string
  private_key: null | string
  public_key: string
  type?: string
}

export function keyPairView(k: NovaKeyPair): KeyPairView {
  return {fingerprint: k.fingerprint, id: k.name, name: k.name, private_key: k.private_key ?? null, public_key: k.public_key, ...(k.type === undefined ? {} : {type: k.type})}
}

const sameKey = (a: string, b: string): boolean => a.trim().split(/\s+/).slice(0, 2).join(' ') === b.trim().split(/\s+/).slice(0, 2).join(' ')

export async function createKeyPair(nova: NovaClient, p: {keyType?: 'ssh' | 'x509'; name: string; publicKey?: null | string}): Promise<{existed: boolean; keyPair: KeyPairView}> {
  try {
    return {existed: false, keyPair: keyPairView(await nova.createKeyPair({name: p.name, publicKey: p.publicKey, type: p.keyType}))}
  } catch (error) {
    if (!(error instanceof HttpError && error.status === 409)) throw error
    const existing = await nova.getKeyPair(p.name)
    if (existing !== null && p.publicKey && sameKey(existing.public_key, p.publicKey)) return {existed: true, keyPair: keyPairView(existing)}
    throw new ActionRefused(
      409,
      'KeyPairExists',
      p.publicKey
        ? `a key pair named '${p.name}' exists already with another public key`
        : `a key pair named '${p.name}' exists already; its private key was given only when it was made (delete it to make a new one)`,
      {cause: error},
    )
  }
}

export async function listKeyPairs(nova: NovaClient): Promise<KeyPairView[]> {
  return (await nova.listKeyPairs()).map((k) => {
    const {private_key: _, ...view} = keyPairView(k)
    return view as KeyPairView
  })
}

/** Delete a key pair: `existed` false when it was already gone (a retry). */
export async function deleteKeyPair(nova: NovaClient, name: string): Promise<{existed: boolean}> {
  return {existed: await nova.deleteKeyPair(name)}
}
