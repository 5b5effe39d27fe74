/** Helpers of the hostile auth suite: sign-ins in every body encoding Better Auth accepts. */
import { call, freshIp } from "./helpers.js"

export const password = "correct-horse-battery"

export type Encoding = "json" | "json-charset" | "json-upper" | "json-chunked" | "json-padded" | "form" | "multipart"

/** A body and its headers in one of the encodings a client may choose. */
export const encode = (encoding: Encoding, fields: Record<string, string>): { body: BodyInit; headers: Record<string, string> } => {
  switch (encoding) {
    case "json":
      return { body: JSON.stringify(fields), headers: { "content-type": "application/json" } }
    case "json-charset":
      return { body: JSON.stringify(fields), headers: { "content-type": "application/json; charset=UTF-8" } }
    case "json-upper":
      return { body: JSON.stringify(fields), headers: { "content-type": "Application/JSON" } }
    case "json-padded":
      // Past the 16 KiB the old limiter read, below the 64 KiB body cap.
      return { body: JSON.stringify({ ...fields, padding: "p".repeat(20 * 1024) }), headers: { "content-type": "application/json" } }
    case "json-chunked": {
      const bytes = new TextEncoder().encode(JSON.stringify(fields))
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes.slice(0, 5))
          controller.enqueue(bytes.slice(5))
          controller.close()
        }
      })
      return { body: stream, headers: { "content-type": "application/json" } }
    }
    case "form":
      return { body: new URLSearchParams(fields).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } }
    case "multipart": {
      const form = new FormData()
      for (const [k, v] of Object.entries(fields)) form.append(k, v)
      return { body: form, headers: {} }
    }
  }
}

/** A sign-in from a fresh client address. */
export const signInAs = (email: string, pass: string, encoding: Encoding = "json", path = "/api/auth/sign-in/email") => {
  const { body, headers } = encode(encoding, { email, password: pass })
  return call(path, { method: "POST", headers: { ...headers, "cf-connecting-ip": freshIp() }, body })
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
