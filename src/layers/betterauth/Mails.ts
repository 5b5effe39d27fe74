/**
 * The messages Better Auth asks the `Mailer` to send. Each says what the link does, how long it
 * works and what to do if it was not expected; the text part stands on its own.
 *
 * @module
 */
import type { Mail } from "../../services/Mailer.js"

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")

const message = (to: string, subject: string, lead: string, action: string, url: string, note: string): Mail => ({
  to,
  subject,
  text: `${lead}\n\n${url}\n\n${note}\n`,
  html: `<p>${escapeHtml(lead)}</p><p><a href="${escapeHtml(url)}">${escapeHtml(action)}</a></p><p>${escapeHtml(note)}</p>`
})

const minutes = (seconds: number) => (seconds % 60 === 0 ? `${seconds / 60} minutes` : `${seconds} seconds`)

export const magicLink = (appName: string, to: string, url: string, expiresInSeconds: number): Mail =>
  message(
    to,
    `Sign in to ${appName}`,
    `Follow this link to sign in to ${appName}:`,
    "Sign in",
    url,
    `It works once, within ${minutes(expiresInSeconds)}. If you did not ask to sign in, ignore this email.`
  )

export const resetPassword = (appName: string, to: string, url: string, expiresInSeconds: number): Mail =>
  message(
    to,
    `Reset your ${appName} password`,
    `Follow this link to choose a new password for ${appName}:`,
    "Choose a new password",
    url,
    `It works once, within ${minutes(expiresInSeconds)}, and signs you out everywhere. If you did not ask for it, ignore this email: your password stays as it is.`
  )

export const verifyEmail = (appName: string, to: string, url: string, expiresInSeconds: number): Mail =>
  message(
    to,
    `Confirm your email address for ${appName}`,
    `Follow this link to confirm that this address is yours:`,
    "Confirm my address",
    url,
    `It works within ${minutes(expiresInSeconds)}, and confirms the account created with this address as it was created. If you did not create an account with ${appName}, ignore this email.`
  )

/** To the owner of an address someone tried to sign up again: no link, nothing to do. */
export const existingAccount = (appName: string, to: string): Mail => {
  const lines = [
    `Someone tried to create an account for ${appName} with this address, which already has one.`,
    "If it was you, sign in; if you have forgotten your password, ask for a reset.",
    "If it was not you, there is nothing to do: your account is unchanged."
  ]
  return {
    to,
    subject: `Your ${appName} account`,
    text: `${lines.join("\n\n")}\n`,
    html: lines.map((line) => `<p>${escapeHtml(line)}</p>`).join("")
  }
}
