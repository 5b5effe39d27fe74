// The app as `Worker.make` builds it by default (Better Auth without passkeys), from options a
// test chooses: the configuration `readConfig` reads, with a binding or a setting replaced.
import { makeWebHandler } from "../../src/http/App.js"
import type { AppOptions, BetterAuthOptions } from "../../src/http/App.js"
import * as CoreLibrary from "../../src/layers/CoreLibrary.js"

export const appOf = (options: Omit<AppOptions, "betterAuth"> & { readonly betterAuth?: Partial<BetterAuthOptions> }) =>
  makeWebHandler({ ...options, betterAuth: { ...options.betterAuth, load: options.betterAuth?.load ?? CoreLibrary.load } })
