/** What Kill Bill says about the orders of stacks (original-service §2.3, §7). */
export interface BillingState {
  /** False when billing is off: every rack gets a deterministic order id. */
  enabled: boolean
  /**
   * Stack id → ids of the ACTIVE subscriptions whose custom field `openstack_stack_id` is that stack.
   * More than one is an error for that rack only; none (or a stack absent here) means "no order yet".
   */
  subscriptionsByStack: ReadonlyMap<string, readonly string[]>
}

export const NO_BILLING: BillingState = {enabled: false, subscriptionsByStack: new Map()}
