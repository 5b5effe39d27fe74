/**
 * A software WebAuthn authenticator for tests: a P-256 key pair in WebCrypto, "none" attestation,
 * and the few bytes of CBOR and authenticator data the ceremonies need, written out by hand so a
 * test can also produce what a broken or malicious authenticator would.
 */

// --- base64url and bytes ---

export const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

export const fromB64url = (text: string) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4)), (c) => c.charCodeAt(0))

const concat = (...parts: ReadonlyArray<Uint8Array>) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const uint32 = (n: number) => new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255])
const sha256 = async (bytes: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))
const utf8 = (text: string) => new TextEncoder().encode(text)

// --- CBOR (RFC 8949), only what attestation needs: integers, byte and text strings, maps ---

type Cbor = number | string | Uint8Array | ReadonlyArray<readonly [Cbor, Cbor]>

const head = (major: number, n: number) =>
  n < 24
    ? new Uint8Array([(major << 5) | n])
    : n < 256
    ? new Uint8Array([(major << 5) | 24, n])
    : n < 65536
    ? new Uint8Array([(major << 5) | 25, n >> 8, n & 255])
    : concat(new Uint8Array([(major << 5) | 26]), uint32(n))

/** Maps are given as entry lists, so integer keys (COSE) keep their type and order. */
export const cbor = (value: Cbor): Uint8Array => {
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value)
  if (typeof value === "string") {
    const bytes = utf8(value)
    return concat(head(3, bytes.length), bytes)
  }
  if (value instanceof Uint8Array) return concat(head(2, value.length), value)
  return concat(head(5, value.length), ...value.flatMap(([k, v]) => [cbor(k), cbor(v)]))
}

// --- the authenticator ---

const flags = { userPresent: 0x01, userVerified: 0x04, attestedCredentialData: 0x40 }

/** An ECDSA signature as WebCrypto gives it (r || s, 64 bytes) in the DER form WebAuthn uses. */
const derSignature = (raw: Uint8Array) => {
  const integer = (bytes: Uint8Array) => {
    let i = 0
    while (i < bytes.length - 1 && bytes[i] === 0) i++
    const trimmed = bytes.slice(i)
    const body = trimmed[0]! & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed
    return concat(new Uint8Array([0x02, body.length]), body)
  }
  const sequence = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)))
  return concat(new Uint8Array([0x30, sequence.length]), sequence)
}

export interface Credential {
  readonly id: Uint8Array
  readonly keys: CryptoKeyPair
  /** The signature counter the next assertion reports; a clone would repeat it. */
  counter: number
}

export interface AuthenticatorOptions {
  /** The origin the "browser" reports in clientData (a phishing page would report its own). */
  readonly origin: string
  /** The relying party id the authenticator hashes into authenticatorData. Default: the options' rp id. */
  readonly rpId?: string
  /** The id a new credential gets. Default: 32 random bytes (a hostile one may copy another's). */
  readonly credentialId?: Uint8Array
}

const clientData = (type: "webauthn.create" | "webauthn.get", challenge: string, origin: string) =>
  utf8(JSON.stringify({ type, challenge, origin, crossOrigin: false }))

/** A new credential and the registration response (`navigator.credentials.create`) for `options`. */
export const create = async (
  options: { readonly challenge: string; readonly rp: { readonly id?: string } },
  { credentialId, origin, rpId }: AuthenticatorOptions
) => {
  const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair
  const jwk = (await crypto.subtle.exportKey("jwk", keys.publicKey)) as JsonWebKey
  const id = credentialId ?? crypto.getRandomValues(new Uint8Array(32))
  // COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
  const coseKey = cbor([[1, 2], [3, -7], [-1, 1], [-2, fromB64url(jwk.x!)], [-3, fromB64url(jwk.y!)]])
  const authData = concat(
    await sha256(utf8(rpId ?? options.rp.id ?? new URL(origin).hostname)),
    new Uint8Array([flags.userPresent | flags.userVerified | flags.attestedCredentialData]),
    uint32(0),
    new Uint8Array(16), // AAGUID: none
    new Uint8Array([id.length >> 8, id.length & 255]),
    id,
    coseKey
  )
  const attestationObject = cbor([["fmt", "none"], ["attStmt", []], ["authData", authData]])
  const credential: Credential = { id, keys, counter: 1 }
  const response = {
    id: b64url(id),
    rawId: b64url(id),
    type: "public-key",
    authenticatorAttachment: "platform",
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64url(clientData("webauthn.create", options.challenge, origin)),
      attestationObject: b64url(attestationObject),
      transports: ["internal"]
    }
  }
  return { credential, response }
}

/** The authentication response (`navigator.credentials.get`) of `credential` for `options`. */
export const get = async (
  credential: Credential,
  options: { readonly challenge: string; readonly rpId?: string },
  { origin, rpId }: AuthenticatorOptions,
  signWith: CryptoKey = credential.keys.privateKey
) => {
  const authenticatorData = concat(
    await sha256(utf8(rpId ?? options.rpId ?? new URL(origin).hostname)),
    new Uint8Array([flags.userPresent | flags.userVerified]),
    uint32(credential.counter++)
  )
  const clientDataJSON = clientData("webauthn.get", options.challenge, origin)
  const signed = concat(authenticatorData, await sha256(clientDataJSON))
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signWith, signed))
  return {
    id: b64url(credential.id),
    rawId: b64url(credential.id),
    type: "public-key",
    authenticatorAttachment: "platform",
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64url(clientDataJSON),
      authenticatorData: b64url(authenticatorData),
      signature: b64url(derSignature(signature))
    }
  }
}
