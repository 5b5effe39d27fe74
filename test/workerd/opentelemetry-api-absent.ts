// Stands in for `@opentelemetry/api` inside the workerd test project, where it is not installed.
// Better Auth imports it optionally (`await import("@opentelemetry/api")` in a try/catch) and falls
// back to its no-op tracer when the import fails. Vite resolves the missing optional peer to a
// virtual module that workerd's module fallback service cannot fetch, which fails the import too,
// but only after printing two errors. This module fails the import the same way, without them.
throw new Error("@opentelemetry/api is not installed")
