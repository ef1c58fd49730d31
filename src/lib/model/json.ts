/** JSON values as Concertim stores them in `metadata` (jsonb) and details columns. */
export type JsonValue = boolean | JsonValue[] | null | number | string | {[key: string]: JsonValue}
export type JsonObject = {[key: string]: JsonValue}
