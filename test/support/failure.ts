import {expect} from 'chai'

/** The error `p` rejects with, checked to be a `type`; fails the test when `p` resolves. */
export async function failure<T extends Error>(p: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await p
  } catch (error) {
    expect(error).to.be.instanceOf(type)
    return error as T
  }
  throw new Error('expected a failure')
}
