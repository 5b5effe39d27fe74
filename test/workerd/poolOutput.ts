// Keeps what the workers pool and workerd print on their own, and is not about any test, off a
// green `npm test` (vitest.config.ts applies it to the vitest process's stdout and stderr;
// `TEST_LOGS=all npm test` leaves the output untouched).
//
// @cloudflare/vitest-pool-workers 0.12 has no switch for either: its logger is created at VERBOSE
// level (workers-sdk issue #12014; no option, no environment variable), and it starts workerd
// with `--verbose` and copies workerd's stdout and stderr through as they come. Known noise only:
// - `[vpw:debug]` and `[vpw:info]` lines: the pool's progress (its warnings and errors are kept);
// - workerd's warning on a header value with non-ASCII characters: the hostile-input tests
//   (test/http/Hostile.workerd.test.ts) send such an `Authorization` header on purpose, and no
//   JavaScript API sends those bytes without a string workerd warns about;
// - workerd's `CODE_MOVED for unknown code block?`, a `--verbose` note from its V8 code-event hook.
// Every other line, workerd's errors and uncaught exceptions among them, is written as it came.

/** The lines dropped. */
export const noise: ReadonlyArray<RegExp> = [
  /^(?:\u001b\[[\d;]*m)*\[vpw:(?:debug|info)\]/,
  /^A header value for "[^"]*" contains non-ASCII characters: /,
  /^workerd\/jsg\/setup\.c\+\+:\d+: info: CODE_MOVED for unknown code block\?$/
]

/** `text` without its noise lines: itself when it has none, `undefined` when nothing else is left. */
export const withoutNoise = (text: string): string | undefined => {
  const lines = text.split("\n")
  const kept = lines.filter((line) => !noise.some((pattern) => pattern.test(line)))
  if (kept.length === lines.length) return text
  const rest = kept.join("\n")
  return rest.trim() === "" ? undefined : rest
}

interface Writable {
  write(chunk: unknown, ...rest: Array<unknown>): boolean
}

const filtered = new WeakSet<Writable>()

/** Drops the noise lines from everything written to `stream` (once, however often it is asked). */
export const filter = (stream: Writable): void => {
  if (filtered.has(stream)) return
  filtered.add(stream)
  const write = stream.write.bind(stream)
  const decoder = new TextDecoder()
  stream.write = (chunk: unknown, ...rest: Array<unknown>): boolean => {
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) return write(chunk, ...rest)
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk)
    const kept = withoutNoise(text)
    if (kept === text) return write(chunk, ...rest)
    if (kept !== undefined) return write(kept, ...rest.filter((arg) => typeof arg === "function"))
    const callback = rest.find((arg): arg is () => void => typeof arg === "function")
    callback?.()
    return true
  }
}
