/**
 * Every custom action the worker serves, in the protected `actions` group. Adding an action is its
 * own file plus one line here.
 *
 * @module
 */
import * as AnalyticsSummary from "./AnalyticsSummary.js"
import * as SignInMethods from "./SignInMethods.js"

export const actions = [
  AnalyticsSummary.action,
  SignInMethods.action
] as const
