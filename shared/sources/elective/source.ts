/**
 * electiveSource: Elective payment-plan orders, from its orders export (`elective:import`) or an
 * export link pulled as a sheet source of kind `ELECTIVE`.
 */
import type { Source } from "../source.ts";
import { electiveTable } from "./table.ts";
import { electiveKind } from "./elective-kind.ts";
import { electiveImportCommand } from "./cli-import.ts";

export const electiveSource = {
  name: "ELECTIVE",
  table: electiveTable,
  revenueColumn: "elective_usd",
  tabular: electiveKind,
  commands: { "elective:import": electiveImportCommand },
} as const satisfies Source;
