/**
 * The request bodies the app sends (concertim-api.md §7.2), as JSON Schemas that Fastify compiles
 * with Ajv. Extra keys are allowed (the app sends some the routes ignore: `target_date`, a
 * `cloud_env` on billing calls); a missing required key is answered 415 naming it (the app's jobs
 * expect that), a wrong type 400.
 */
const text = {minLength: 1, type: 'string'} as const
const optionalText = {type: ['string', 'null']} as const
const obj = (properties: Record<string, unknown>, required: string[], extra: Record<string, unknown> = {}) => ({properties, required, type: 'object', ...extra})

/** `{auth_url, user_id, password, project_id}` (other spellings are checked by the route: 400). */
export const cloudEnv = obj({auth_url: text, password: text}, ['auth_url', 'password'])

const role = {enum: ['admin', 'member', 'watcher'], type: 'string'} as const
const amount = {anyOf: [{exclusiveMinimum: 0, type: 'number'}, {pattern: String.raw`^\s*\+?(\d+(\.\d*)?|\.\d+)\s*$`, type: 'string'}]} as const

export const bodies = {
  createUser: obj({cloud_env: cloudEnv, email: optionalText, name: optionalText, password: text, username: text}, ['cloud_env', 'username', 'password']),
  deleteUser: obj({cloud_env: cloudEnv, user_info: obj({cloud_user_id: text}, ['cloud_user_id'])}, ['cloud_env', 'user_info']),
  updateUser: obj(
    {cloud_env: cloudEnv, user_info: obj({cloud_user_id: text, new_data: obj({email: text, password: text}, [], {minProperties: 1})}, ['cloud_user_id', 'new_data'])},
    ['cloud_env', 'user_info'],
  ),
  createTeam: obj({billing_acct_id: optionalText, cloud_env: cloudEnv, name: text, project_id: optionalText}, ['cloud_env', 'name']),
  deleteTeam: obj({cloud_env: cloudEnv, team_info: obj({billing_acct_id: optionalText, project_id: optionalText}, [])}, ['cloud_env', 'team_info']),
  teamLimits: obj({cloud_env: cloudEnv}, ['cloud_env']),
  grantRole: obj({cloud_env: cloudEnv, team_role: obj({project_id: text, role, user_id: text}, ['project_id', 'user_id', 'role'])}, ['cloud_env', 'team_role']),
  changeRole: obj(
    {cloud_env: cloudEnv, team_role: obj({current_role: role, new_role: role, project_id: text, user_id: text}, ['project_id', 'user_id', 'current_role', 'new_role'])},
    ['cloud_env', 'team_role'],
  ),
  revokeRole: obj({cloud_env: cloudEnv, team_role: obj({project_id: text, role, user_id: text}, ['project_id', 'user_id', 'role'])}, ['cloud_env', 'team_role']),
  updateStatus: obj({action: text, cloud_env: cloudEnv}, ['cloud_env', 'action']),
  createKeyPair: obj(
    {cloud_env: cloudEnv, key_pair: obj({key_type: {enum: ['ssh', 'x509', null], type: ['string', 'null']}, name: {maxLength: 255, minLength: 1, type: 'string'}, public_key: optionalText}, ['name'])},
    ['cloud_env', 'key_pair'],
  ),
  listKeyPairs: obj({cloud_env: cloudEnv}, ['cloud_env']),
  deleteKeyPair: obj({cloud_env: cloudEnv, keypair_name: text}, ['cloud_env', 'keypair_name']),
  draftInvoice: obj({invoice: obj({billing_acct_id: text, target_date: optionalText}, ['billing_acct_id'])}, ['invoice']),
  listInvoices: obj(
    {invoices: obj({billing_acct_id: text, limit: {maximum: 1000, minimum: 1, type: 'integer'}, offset: {minimum: 0, type: 'integer'}}, ['billing_acct_id'])},
    ['invoices'],
  ),
  getInvoice: obj({invoice: obj({billing_acct_id: text, invoice_id: text}, ['billing_acct_id', 'invoice_id'])}, ['invoice']),
  addCredits: obj({credits: obj({amount, billing_acct_id: text}, ['billing_acct_id', 'amount'])}, ['credits']),
  getCredits: obj({credits: obj({billing_account_id: text}, ['billing_account_id'])}, ['credits']),
  createOrder: obj({order: obj({billing_account_id: text}, ['billing_account_id'])}, ['order']),
  deleteOrder: obj({order: obj({order_id: text}, ['order_id'])}, ['order']),
  addOrderTag: obj({tag: obj({order_id: text, tag_name: text, tag_value: {type: ['string', 'number', 'boolean']}}, ['order_id', 'tag_name', 'tag_value'])}, ['tag']),
} as const

export type BodyName = keyof typeof bodies
