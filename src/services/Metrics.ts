/**
 * The project's counters, as Effect metrics. Any metrics exporter (or `Metric.snapshot`) reads them.
 *
 * @module
 */
import { Metric } from "effect"

/** KV operations, tagged `operation` (get, getMany, put, delete, list) and `kind` (read, write). */
export const kvOperations = Metric.counter("kv_operations_total", {
  description: "KV operations issued by the Kv service",
  incremental: true
})

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
