import { createSheetsPullApp } from "../../shared/sources/sheets/pull-app.ts";
import { runtimeDb } from "../../shared/db/runtime.ts";

/**
 * Scheduled sheet pulls: `POST` with `Authorization: Bearer <CRON_SECRET>`; `{}` pulls every enabled
 * source that is due, `{"source": "<name>"}` pulls that one now. Answers `{ sources: [...] }`.
 */
export const app = createSheetsPullApp({ db: runtimeDb });
