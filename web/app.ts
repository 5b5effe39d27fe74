/**
 * The page at `/`: each section is built from the shared `Page` and appended in order, unless it
 * needs what the worker does not offer (`capabilities.ts`). To add one, write
 * `sections/<name>.ts` exporting a `Section` and list it here.
 */
import { leftOut, loadCapabilities } from "./capabilities.js"
import type { Capabilities } from "./capabilities.js"
import { loadConfig } from "./config.js"
import { makePage } from "./page.js"
import { account } from "./sections/account.js"
import { analytics } from "./sections/analytics.js"
import { changePassword } from "./sections/changePassword.js"
import { magicLink } from "./sections/magicLink.js"
import { me } from "./sections/me.js"
import { passkey } from "./sections/passkey.js"
import { passkeys } from "./sections/passkeys.js"
import { rateLimit } from "./sections/rateLimit.js"
import { sessions } from "./sections/sessions.js"
import type { Section } from "./sections/Section.js"

/** The sections in order, each with what it needs the worker to offer. */
const sections: ReadonlyArray<readonly [Section, keyof Capabilities | undefined]> = [
  [account, undefined],
  [passkey, "passkeys"],
  [magicLink, "mail"],
  [me, undefined],
  [sessions, undefined],
  [passkeys, "passkeys"],
  [changePassword, undefined],
  [analytics, undefined],
  [rateLimit, undefined]
]

const config = await loadConfig()
const page = makePage(config, await loadCapabilities(config.apiBase))
document.getElementById("api-base")!.textContent = page.apiBase
const missing = leftOut(page.capabilities)
const notOffered = document.getElementById("not-offered")!
notOffered.textContent = missing.length === 0 ? "" : `Not offered by this server: ${missing.join("; ")}.`
notOffered.hidden = missing.length === 0
document.getElementById("sections")!.append(
  ...sections.flatMap(([build, needs]) => (needs === undefined || page.capabilities[needs] ? [build(page)] : []))
)
document.body.dataset["ready"] = "true"
