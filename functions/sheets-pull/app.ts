import { createSheetsPullApp } from "../../shared/sources/sheets/pull-app.ts";
import { sheetKind } from "../../shared/sources/sheets/sheet-kind.ts";
import { electiveKind } from "../../shared/sources/elective/elective-kind.ts";
import { runtimeDb } from "../../shared/db/runtime.ts";

/**
 * Scheduled sheet pulls: `POST` with `Authorization: Bearer <CRON_SECRET>`; `{}` pulls every enabled
 * source that is due, `{"source": "<name>"}` pulls that one now. Answers `{ sources: [...] }`.
 */
export const app = createSheetsPullApp({ db: runtimeDb, kinds: [sheetKind, electiveKind] });
