/**
 * The page at `/`: each section is built from the shared `Page` and appended in order. To add one,
 * write `sections/<name>.ts` exporting a `Section` and list it here.
 */
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

const sections: ReadonlyArray<Section> = [
  account,
  passkey,
  magicLink,
  me,
  sessions,
  passkeys,
  changePassword,
  analytics,
  rateLimit
]

const page = makePage(await loadConfig())
document.getElementById("api-base")!.textContent = page.apiBase
document.getElementById("sections")!.append(...sections.map((build) => build(page)))
document.body.dataset["ready"] = "true"
