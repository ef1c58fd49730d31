/**
 * Heat (orchestration v1). Its URLs carry the project id (`/v1/{project_id}/stacks`); the catalog
 * endpoint has it substituted already for the token's project. Stacks of every project need
 * `global_tenant=true` (and the `stacks:global_index` policy, which admins have by default) — the
 * original service omitted it and saw only its own project's stacks (its defect §10.2 #8).
 */
import type {KeystoneSession} from './keystone.js'
import {requestIds} from './nova.js'
import {collectPages, nextLink} from './paging.js'
import type {ApiLink, HeatOutput, HeatResource, HeatStack, HeatStackDetail, HeatStackRef} from './types.js'

export interface HeatClientOptions {
  /** Stacks per page asked for. */
  pageSize?: number
}

export interface ListStacksOptions {
  /** Every project's stacks (default true). */
  globalTenant?: boolean
  /** Only this project's stacks (Heat's `tenant` filter, with global_tenant). */
  projectId?: string
  /** Nested stacks too (ResourceGroup / AutoScalingGroup members), each with its `parent`. */
  showNested?: boolean
}

export interface ListResourcesOptions {
  /** Also list resources of nested stacks (a ResourceGroup's members) this many levels down. */
  nestedDepth?: number
}

function stackPath(stack: HeatStackRef): string {
  return `stacks/${encodeURIComponent(stack.stack_name)}/${encodeURIComponent(stack.id)}`
}

export class HeatClient {
  private readonly pageSize: number

  constructor(
    private readonly session: KeystoneSession,
    options: HeatClientOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 500
  }

  /** One stack by name and id, or null when Heat says 404. */
  async getStack(stack: HeatStackRef): Promise<HeatStackDetail | null> {
    const res = await this.session.request<{stack: HeatStackDetail}>('orchestration', {accept: [404], url: stackPath(stack)})
    return res.status === 404 ? null : res.data.stack
  }

  /** One output with its value, or null when the stack or the output does not exist. */
  async getOutput(stack: HeatStackRef, key: string): Promise<HeatOutput | null> {
    const res = await this.session.request<{output: HeatOutput}>('orchestration', {accept: [404], url: `${stackPath(stack)}/outputs/${encodeURIComponent(key)}`})
    return res.status === 404 ? null : res.data.output
  }

  /** The outputs of a stack (keys and descriptions; values need `getOutput`), or null on 404. */
  async listOutputs(stack: HeatStackRef): Promise<HeatOutput[] | null> {
    const res = await this.session.request<{outputs: HeatOutput[]}>('orchestration', {accept: [404], url: `${stackPath(stack)}/outputs`})
    return res.status === 404 ? null : (res.data.outputs ?? [])
  }

  /** The resources of a stack, nested ones included down to `nestedDepth`, or null on 404. */
  async listResources(stack: HeatStackRef, opts: ListResourcesOptions = {}): Promise<HeatResource[] | null> {
    const res = await this.session.request<{resources: HeatResource[]}>('orchestration', {
      accept: [404],
      params: {nested_depth: opts.nestedDepth},
      url: `${stackPath(stack)}/resources`,
    })
    return res.status === 404 ? null : (res.data.resources ?? [])
  }

  /** A stack by id alone (Heat redirects `GET /stacks/{id}` to its full path), or null on 404. */
  async findStack(id: string): Promise<HeatStackDetail | null> {
    const res = await this.session.request<{stack: HeatStackDetail}>('orchestration', {accept: [404], url: `stacks/${encodeURIComponent(id)}`})
    return res.status === 404 ? null : res.data.stack
  }

  /** `suspend` or `resume` a stack (`POST …/actions`, 200; Heat does it asynchronously). */
  async stackAction(stack: HeatStackRef, action: 'resume' | 'suspend'): Promise<string[]> {
    const res = await this.session.request('orchestration', {body: {[action]: null}, method: 'POST', url: `${stackPath(stack)}/actions`})
    return requestIds(res.headers)
  }

  /** Delete a stack (204; Heat deletes its resources asynchronously). */
  async deleteStack(stack: HeatStackRef): Promise<string[]> {
    const res = await this.session.request('orchestration', {method: 'DELETE', url: stackPath(stack)})
    return requestIds(res.headers)
  }

  /** Every stack (of every project unless told otherwise), every page. */
  async listStacks(opts: ListStacksOptions = {}): Promise<HeatStack[]> {
    const first = {global_tenant: opts.globalTenant === false ? undefined : 'true', limit: this.pageSize, show_nested: opts.showNested === true ? 'true' : undefined, tenant: opts.projectId}
    const {items} = await collectPages<HeatStack>({system: 'heat', what: 'stacks'}, first, async (params) => {
      const res = await this.session.request<{links?: ApiLink[]; stacks: HeatStack[]}>('orchestration', {params, url: 'stacks'})
      return {items: res.data.stacks ?? [], next: nextLink(res.data.links)}
    })
    return items
  }
}
