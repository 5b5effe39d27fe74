import { call } from "./helpers.js"

export interface OutboxMail {
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly links: ReadonlyArray<string>
  readonly sentAt: string
}

/** The mail `GET /dev/outbox` lists for one recipient, newest first. */
export const mailTo = async (to: string, fetcher: (path: string) => Promise<Response> = (path) => call(path)) => {
  const response = await fetcher(`/dev/outbox?to=${encodeURIComponent(to)}`)
  if (response.status !== 200) throw new Error(`outbox answered ${response.status}`)
  return (await response.json()) as Array<OutboxMail>
}

/** The path and query of a link from a mail, to request from the worker under test. */
export const pathOf = (link: string) => {
  const url = new URL(link)
  return `${url.pathname}${url.search}`
}

/** The raw session token a `set-auth-token` value (`<token>.<signature>`) carries. */
export const rawToken = (setAuthToken: string) => decodeURIComponent(setAuthToken).split(".")[0]!

/** The KV expiry of `session:<token>`, in seconds from now. */
export const sessionTtl = async (kv: KVNamespace, token: string) => {
  const { keys } = await kv.list({ prefix: `session:${token}` })
  const key = keys.find((k) => k.name === `session:${token}`)
  return key?.expiration === undefined ? undefined : key.expiration - Date.now() / 1000
}
