import { createWhopBackfillApp } from "../../shared/sources/whop/backfill-app.ts";
import { runtimeDb } from "../../shared/db/runtime.ts";

/**
 * Whop REST backfill in slices: `POST` with `Authorization: Bearer <CRON_SECRET>` and `{"full": bool}`;
 * each call reads a few pages and answers `{ done, resource, pages, records, sync_log_id }`.
 */
export const app = createWhopBackfillApp({ db: runtimeDb });
