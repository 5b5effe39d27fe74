/**
 * The project's counters, as Effect metrics. Any metrics exporter (or `Metric.snapshot`) reads them.
 *
 * @module
 */
import { Metric, MetricKey, MetricLabel } from "effect"

/**
 * KV operations issued by the Kv service, tagged `operation` (get, getMany, put, delete, list),
 * `kind` (read, write) and `keyspace`: the key's prefix up to its first `:` when it is one of
 * `keyspaces` (`ratelimit`, `session`, `auth`, `cache`), else `other`, so that reads of the
 * limiter's buckets and of sessions are counted apart. One counter per combination, its tags in its
 * key: a tag added per update would cost a metric-key lookup on every KV call.
 */
export const kvOperations = (operation: string, kind: "read" | "write", keyspace: string) =>
  Metric.fromMetricKey(
    MetricKey.counter("kv_operations_total", { description: "KV operations issued by the Kv service", incremental: true }).pipe(
      MetricKey.taggedWithLabels([
        MetricLabel.make("operation", operation),
        MetricLabel.make("kind", kind),
        MetricLabel.make("keyspace", keyspace)
      ])
    )
  )

/** The key prefixes `kv_operations_total` counts apart. */
export const keyspaces = ["ratelimit", "session", "auth", "cache"] as const

/** The `keyspace` tag of an operation on `key` (for several keys, or a list, the first key or the prefix). */
export const keyspaceOf = (key: string): string => {
  const colon = key.indexOf(":")
  const prefix = colon < 0 ? key : key.slice(0, colon)
  return (keyspaces as ReadonlyArray<string>).includes(prefix) ? prefix : "other"
}

export const cacheHits = Metric.counter("cache_hits_total", { description: "Cache lookups answered fresh", incremental: true })
export const cacheStaleHits = Metric.counter("cache_stale_hits_total", {
  description: "Cache lookups answered stale while a refresh runs in the background",
  incremental: true
})
export const cacheMisses = Metric.counter("cache_misses_total", { description: "Cache lookups that computed", incremental: true })

export const rateLimitRejections = Metric.counter("rate_limit_rejections_total", {
  description: "Requests refused with 429",
  incremental: true
})
