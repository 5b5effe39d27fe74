/**
 * Better Auth's values, as every module of this folder takes them: what `BetterAuthLibrary`
 * exports, loaded on the first request that needs Better Auth (see `BetterAuth.loadLibrary`).
 *
 * @module
 */
import type * as BetterAuthLibrary from "../BetterAuthLibrary.js"

export type Library = typeof BetterAuthLibrary
