/** Gnocchi measures → the metrics of Instance devices in the Concertim metric reporting daemon. */
export {cpuLoad, type FlavorSizes, latestPoint, METRIC_NAMES, METRIC_UNITS, type MetricName, type MetricReading, NO_DATA_REASONS, type NoDataReason, type Point, ramUsage, readingsOf, type SeriesSummary, type ServerMeasures, type ServerSeries, summariseSeries, summariseServer, summedRatePerSecond} from './formulas.js'
export {aggregatesRequest, batches, isMetricsNotFound, MEASURE_QUERIES, type MeasureQuery, mergeGroups, readBatch} from './gnocchi-batch.js'
export {emptyTally, outcomeOf, pushReadings, type PushTally, type ReadingsSource, type SendProblem, toMrdMetric} from './push.js'
export {type DeviceReport, emptyCounts, type PassClients, type PassCounts, type PassOptions, type PassReport, passExitCode, planBatches, runMetricsPass} from './run.js'
export {abortableSleep, nextTick, parseDuration, runOnSchedule} from './schedule.js'
export {flavorSizesByTemplate, type MetricTarget, type TargetSource, targetsFromDevices, targetsFromView} from './targets.js'
