/**
 * Strings as workerd's KV binding sends them: UTF-8, with a lone surrogate as the three bytes of its
 * code point (WTF-8). KV's limits on keys are counted in these bytes.
 *
 * @module
 */

const utf8Encoder = new TextEncoder()

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff

/**
 * The bytes a string takes once encoded as workerd encodes key names: UTF-8, with a lone
 * surrogate taking the 3 bytes of its code point (WTF-8).
 */
export const wtf8Length = (s: string): number => {
  let bytes = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (isHighSurrogate(c) && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/**
 * The bytes workerd sends for a key name or a string value: UTF-8, with a lone surrogate as the
 * 3 bytes of its code point (WTF-8), which read back as three U+FFFD.
 */
export const wtf8Encode = (s: string): Uint8Array => {
  if (!hasLoneSurrogate(s)) return utf8Encoder.encode(s)
  const bytes: Array<number> = []
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i)!
    if (c < 0x80) bytes.push(c)
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f))
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f))
    else {
      bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f))
      i++
    }
  }
  return Uint8Array.from(bytes)
}

/** Whether `s` holds a surrogate without its pair (not well-formed UTF-16). */
export const hasLoneSurrogate = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (isHighSurrogate(c) && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) i++
    else if (isHighSurrogate(c) || isLowSurrogate(c)) return true
  }
  return false
}
