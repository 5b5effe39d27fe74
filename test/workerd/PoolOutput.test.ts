// The output filter vitest.config.ts puts on the pool's and workerd's lines: it drops the known
// noise, as printed, and nothing else.
import { describe, expect, it } from "vitest"
import { filter, withoutNoise } from "./poolOutput.js"

const headerWarning = "A header value for \"authorization\" contains non-ASCII characters: \"Bearer \u00ff\u00fe\" (raw bytes: \"\\x42\\x65\\x61\\x72\\x65\\x72\\x20\\xc3\\xbf\\xc3\\xbe\"). As a quirk to support Unicode, we are encoding values as UTF-8 in the header, but in a browser this would likely result in a TypeError exception. Consider encoding this string in ASCII for compatibility with browser implementations of the Fetch specification.\n"

describe("the pool's output filter", () => {
  it("drops the pool's debug and info lines, workerd's header-encoding warning and its CODE_MOVED note", () => {
    for (const line of [
      "[vpw:debug] Adding `enable_nodejs_tty_module` compatibility flag during tests as this feature is needed to support the Vitest runner.\n",
      "\u001b[90m[vpw:info]\u001b[39m Starting single runtime for 2...\n",
      "[vpw:debug] Shutting down runtimes...\n",
      headerWarning,
      "workerd/jsg/setup.c++:583: info: CODE_MOVED for unknown code block?\n"
    ]) {
      expect(withoutNoise(line)).toBeUndefined()
    }
  })

  it("keeps everything else: the pool's warnings, workerd's errors, test output; from a mixed chunk only the noise goes", () => {
    for (const line of [
      "[vpw:warn] Default inspector port 9229 not available, using 9230 instead.\n",
      "workerd/io/worker.c++:2441: info: uncaught exception; source = Uncaught (in promise); stack = Error: Network connection lost.\n",
      "Error: Isolated storage failed. There should be additional logs above.\n",
      " \u2713 |node| test/http/MailConfig.test.ts (9 tests) 260ms\n",
      "A header value for \"authorization\" was fine\n",
      ""
    ]) {
      expect(withoutNoise(line)).toBe(line)
    }
    expect(withoutNoise(`${headerWarning}Error: boom\n`)).toBe("Error: boom\n")
  })

  it("filters a stream's writes, strings and bytes alike, calling back for a write it drops", () => {
    const written: Array<unknown> = []
    const stream = { write: (chunk: unknown, ..._rest: Array<unknown>) => written.push(chunk) > 0 }
    filter(stream)
    filter(stream)
    let called = 0
    expect(stream.write(new TextEncoder().encode(headerWarning), () => called++)).toBe(true)
    stream.write("[vpw:debug] Disposing remote proxy sessions...\nkept\n")
    const bytes = new TextEncoder().encode("unchanged\n")
    stream.write(bytes)
    expect([written, called]).toEqual([["kept\n", bytes], 1])
  })
})
