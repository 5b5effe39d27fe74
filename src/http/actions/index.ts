/**
 * Every custom action the worker serves, in the protected `actions` group. Adding an action is its
 * own file plus one line here.
 *
 * @module
 */
import * as AnalyticsSummary from "./AnalyticsSummary.js"

export const actions = [
  AnalyticsSummary.action
] as const
