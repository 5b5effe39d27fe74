/**
 * Every custom action the worker serves, in the protected `actions` group: one line per action.
 * The group and its handlers are both built from this module's exports.
 *
 * @module
 */
export { action as analyticsSummary } from "./AnalyticsSummary.js"
export { action as signInMethods } from "./SignInMethods.js"
