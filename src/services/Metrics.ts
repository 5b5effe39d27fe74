/**
 * The project's counters, as Effect metrics. Any metrics exporter (or `Metric.snapshot`) reads them.
 *
 * @module
 */
import { Metric, MetricKey, MetricLabel } from "effect"

/**
 * KV operations issued by the Kv service, tagged `operation` (get, getMany, put, delete, list)
 * and `kind` (read, write). One counter per pair, its tags in its key: a tag added per update
 * would cost a metric-key lookup on every KV call.
 */
export const kvOperations = (operation: string, kind: "read" | "write") =>
  Metric.fromMetricKey(
    MetricKey.counter("kv_operations_total", { description: "KV operations issued by the Kv service", incremental: true }).pipe(
      MetricKey.taggedWithLabels([MetricLabel.make("operation", operation), MetricLabel.make("kind", kind)])
    )
  )

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
