/**
 * Pulls sliced by a time budget (an edge invocation's 2 s of CPU): each call writes at least one
 * chunk, saves its place, answers done: false, and the next call resumes the same run. The end
 * result equals a one-shot pull; only the call that reaches the end soft-deletes; a sheet edited
 * between slices is read again rather than half old, half new.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type CsvServer, startCsvServer, toCsv } from "../helpers/csv-server.ts";
import { addSource, liveRows, logOf, pull } from "./helpers.ts";
import { claimCheckpoint } from "../../shared/sync/checkpoint-claim.ts";
import { type PullSummary, sheetPullCheckpointName } from "../../shared/sources/sheets/pull.ts";

let t: TestDatabase;
let csv: CsvServer;
const HEADER = ["Date", "Name", "Email", "Amount"];
const row = (n: number, amount = `$${n}.25`) => [`3/${n}/2024`, `Buyer ${n}`, `b${n}@example.com`, amount];
// Ten rows: a duplicate pair split across chunks of three (rows 3 and 5) and a bad amount.
const ROWS = [row(1), row(2), row(3), row(4), row(3), row(6), row(7, "N/A"), row(8), row(9), row(10)];

beforeAll(async () => {
  [t, csv] = await Promise.all([openTestDatabase(), startCsvServer()]);
});
afterAll(async () => {
  await csv?.close();
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, sheet_data, sheet_sources, sync_logs, sync_run_keys, sync_checkpoints cascade`
    .execute(t.kysely);
});

/** Calls with no budget left after the first chunk until the pull is done; returns every summary. */
async function sliced(name: string, max = 20): Promise<PullSummary[]> {
  const out: PullSummary[] = [];
  do out.push(await pull(t.kysely, name, { budgetMs: 0, chunkRows: 3 })); while (
    !out[out.length - 1].done && out.length < max
  );
  return out;
}

/** The rows as a scope-independent list, to compare two sources. */
const comparable = async (url: string) =>
  (await liveRows(t.kysely, "sheet_data", url)).map(({ user_id: _, ...rest }) => rest);

describe("a sliced pull", () => {
  it("resumes across invocations and ends identical to a one-shot pull", async () => {
    csv.set("sliced", { kind: "csv", csv: toCsv([HEADER, ...ROWS]) });
    csv.set("oneshot", { kind: "csv", csv: toCsv([HEADER, ...ROWS]) });
    const a = await addSource(t.kysely, { name: "sliced", url: csv.exportUrl("sliced") });
    const b = await addSource(t.kysely, { name: "oneshot", url: csv.exportUrl("oneshot") });

    const calls = await sliced("sliced");
    expect(calls.map((c) => [c.status, c.done, c.resumes, c.rows])).toEqual([
      ["RUNNING", false, true, 3],
      ["RUNNING", false, true, 3],
      ["RUNNING", false, true, 3],
      ["PARTIAL", true, false, 1],
    ]);
    // One run across all the calls, its counts accumulated.
    expect(new Set(calls.map((c) => c.syncLogId)).size).toBe(1);
    expect(calls[3]).toMatchObject({ created: 9, failed: 1 });
    expect(calls[3].rowErrors).toEqual([expect.stringMatching(/^row 8, amount/)]);
    expect(calls[0].columns).toContain("email ← 'Email'");

    const whole = await pull(t.kysely, "oneshot");
    expect(whole).toMatchObject({ status: "PARTIAL", created: 9, failed: 1 });
    expect(await comparable(a.url)).toEqual(await comparable(b.url));
    expect((await logOf(t.kysely, calls[3].syncLogId)).status).toBe("PARTIAL");
    const checkpoint = await t.kysely.selectFrom("sync_checkpoints").select("state")
      .where("name", "=", sheetPullCheckpointName(a.id)).executeTakeFirstOrThrow();
    expect(checkpoint.state).toMatchObject({ runId: null, lastSyncLogId: calls[0].syncLogId });
  });

  it("soft-deletes only when the last slice has read the whole sheet", async () => {
    const s = await addSource(t.kysely, { name: "late", url: csv.exportUrl("late") });
    csv.set("late", {
      kind: "csv",
      csv: toCsv([HEADER, row(1), row(2), row(3), row(4), row(5), row(6), row(7)]),
    });
    await pull(t.kysely, "late");
    csv.set("late", { kind: "csv", csv: toCsv([HEADER, row(1), row(2), row(3), row(4), row(5), row(6)]) });

    const first = await pull(t.kysely, "late", { budgetMs: 0, chunkRows: 3 });
    expect(first).toMatchObject({ done: false, deleted: 0 });
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(7);
    const last = await pull(t.kysely, "late", { budgetMs: 0, chunkRows: 3 });
    expect(last).toMatchObject({ done: true, status: "SUCCESS", deleted: 1, unchanged: 6 });
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(6);
  });

  it("reads the sheet again from the top when rows already written changed between slices", async () => {
    const s = await addSource(t.kysely, { name: "edited", url: csv.exportUrl("edited") });
    csv.set("edited", { kind: "csv", csv: toCsv([HEADER, ...ROWS]) });
    const first = await pull(t.kysely, "edited", { budgetMs: 0, chunkRows: 3 });
    expect(first.done).toBe(false);

    const edited = [row(1, "$1.50"), ...ROWS.slice(1)];
    csv.set("edited", { kind: "csv", csv: toCsv([HEADER, ...edited]) });
    const rest = await sliced("edited");
    expect(rest[0].syncLogId).not.toBe(first.syncLogId);
    const abandoned = await logOf(t.kysely, first.syncLogId);
    expect(abandoned).toMatchObject({ status: "FAILED", deleted: 0 });
    expect(abandoned.error_message).toMatch(/the sheet changed while it was read in slices/);
    expect(rest[rest.length - 1]).toMatchObject({ done: true, status: "PARTIAL" });

    // The end result is the edited sheet: the row written from the old version is gone.
    csv.set("reference", { kind: "csv", csv: toCsv([HEADER, ...edited]) });
    const ref = await addSource(t.kysely, { name: "reference", url: csv.exportUrl("reference") });
    await pull(t.kysely, "reference");
    expect(await comparable(s.url)).toEqual(await comparable(ref.url));
  });

  it("keeps going when rows are only appended between slices", async () => {
    const s = await addSource(t.kysely, { name: "growing", url: csv.exportUrl("growing") });
    csv.set("growing", { kind: "csv", csv: toCsv([HEADER, ...ROWS]) });
    const first = await pull(t.kysely, "growing", { budgetMs: 0, chunkRows: 3 });
    csv.set("growing", { kind: "csv", csv: toCsv([HEADER, ...ROWS, row(11)]) });
    const rest = await sliced("growing");
    expect(rest.every((c) => c.syncLogId === first.syncLogId)).toBe(true);
    expect(rest[rest.length - 1]).toMatchObject({ done: true, created: 10, failed: 1 });
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(10);
  });

  it("starts over in a new run when the interrupted one was closed meanwhile", async () => {
    const s = await addSource(t.kysely, { name: "closed", url: csv.exportUrl("closed") });
    csv.set("closed", { kind: "csv", csv: toCsv([HEADER, ...ROWS]) });
    const first = await pull(t.kysely, "closed", { budgetMs: 0, chunkRows: 3 });
    // What failAbandonedRuns does to a run whose lease ran out.
    await t.kysely.updateTable("sync_logs").set({ status: "FAILED" }).where("id", "=", first.syncLogId!)
      .execute();
    const rest = await sliced("closed");
    expect(rest[0].syncLogId).not.toBe(first.syncLogId);
    expect(rest[rest.length - 1]).toMatchObject({ done: true, status: "PARTIAL", created: 6, unchanged: 3 });
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(9);
  });

  it("answers BUSY while another invocation holds the source", async () => {
    const s = await addSource(t.kysely, { name: "held", url: csv.exportUrl("held") });
    csv.set("held", { kind: "csv", csv: toCsv([HEADER, row(1)]) });
    await claimCheckpoint(t.kysely, sheetPullCheckpointName(s.id), 60);
    const summary = await pull(t.kysely, "held");
    expect(summary).toMatchObject({ status: "BUSY", done: false, resumes: true, syncLogId: null });
    expect(await liveRows(t.kysely, "sheet_data", s.url)).toHaveLength(0);
  });
});
