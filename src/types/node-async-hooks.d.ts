/**
 * The one Node built-in this project uses, as workerd provides it under `nodejs_compat` (Better
 * Auth needs the same flag and module). Declared here rather than pulling in all of @types/node.
 */
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    run<R>(store: T, callback: () => R): R
    getStore(): T | undefined
  }
}
