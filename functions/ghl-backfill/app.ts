import { createGhlBackfillApp } from "../../shared/sources/ghl/backfill-app.ts";
import { runtimeDb } from "../../shared/db/runtime.ts";

/**
 * HighLevel contacts backfill and nightly reconcile: each POST (Bearer CRON_SECRET) reads one
 * bounded slice of `GHL_LOCATION_ID`'s contacts and resumes from the checkpoint the last left.
 */
export const app = createGhlBackfillApp({ db: runtimeDb });
