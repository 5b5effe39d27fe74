// `copy-swagger-ui.mjs` exports nothing: importing it copies the files (vitest.config.ts does).
export {}
