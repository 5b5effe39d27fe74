// A session record as Better Auth writes it at sign-in (`session:<token>`'s value), for the session
// store's tests.

export const week = 7 * 24 * 3600

/** The record of session `id` (`token`) of user1, created at `now` and living a week. */
export const sessionRecord = (options: { readonly token: string; readonly id: string; readonly now: number; readonly userCreatedAt?: number }) =>
  JSON.stringify({
    session: {
      id: options.id,
      token: options.token,
      userId: "user1",
      expiresAt: new Date(options.now + week * 1000).toISOString(),
      createdAt: new Date(options.now).toISOString(),
      updatedAt: new Date(options.now).toISOString()
    },
    user: {
      id: "user1",
      name: "Ada",
      email: "ada@example.com",
      emailVerified: false,
      createdAt: new Date(options.userCreatedAt ?? options.now).toISOString(),
      updatedAt: new Date(options.userCreatedAt ?? options.now).toISOString()
    }
  })
