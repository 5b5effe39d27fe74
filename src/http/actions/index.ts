/**
 * The custom actions this repository's worker serves (`worker.ts`), in the protected `actions`
 * group: one line per action.
 *
 * @module
 */
import * as AnalyticsSummary from "./AnalyticsSummary.js"
import * as SignInMethods from "./SignInMethods.js"

export const actions = [AnalyticsSummary.action, SignInMethods.action] as const
