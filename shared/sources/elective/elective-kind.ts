import type { TabularKind } from "../tabular/tabular-kind.ts";
import { electiveRowMapper } from "./elective-row-mapper.ts";
import { electiveTable } from "./table.ts";

/** Sheet sources of kind ELECTIVE (an orders export): rows into `elective_data`, read by `electiveRowMapper`. */
export const electiveKind: TabularKind = {
  kind: "ELECTIVE",
  table: electiveTable,
  rowMapper: electiveRowMapper,
};
