/**
 * runSlices, the one driver of sliced backfills and pulls, with a small source of its own: five
 * HighLevel contacts read two to a page into `ghl_data`, as one full run. Budgets stop and resume
 * a call, a held or lost claim is `busy`, a failed page is left for the next call, and a run is
 * finished exactly once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { savedCheckpoint } from "../helpers/checkpoint.ts";
import { contact } from "./batch-records.ts";
import { runSlices, type SlicedWork, type SliceOptions } from "../../shared/sync/slice-runner.ts";
import {
  claimCheckpoint,
  ClaimLostError,
  releaseClaim,
  saveClaimed,
} from "../../shared/sync/checkpoint-claim.ts";
import { upsertRecords } from "../../shared/sync/engine.ts";
import { ghlTable } from "../../shared/sources/ghl/table.ts";
import { createDb, isUnavailable } from "../../shared/db/client.ts";
import { UpstreamError } from "../../shared/errors.ts";

const NAME = "test:slices";
const CONTACTS = Array.from({ length: 5 }, (_, i) => contact(i));
const PAGES = 3;

interface PageState {
  runId: string | null;
  /** Pages of this run read so far. */
  page: number;
  lastRunId?: string;
}

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(async () => {
  await t?.close();
});
beforeEach(async () => {
  await sql`truncate users, ghl_data, sync_logs, sync_run_keys, sync_checkpoints cascade`.execute(t.kysely);
});

/** The source: records every page it is asked for and every run it closes. */
function source(
  over: Partial<SlicedWork<PageState>> & { beforePage?: (page: number) => Promise<void> } = {},
) {
  const seen = { reads: [] as number[], closed: [] as string[], opened: [] as [string, boolean][] };
  const work: SlicedWork<PageState> = {
    checkpoint: NAME,
    runOf: () => ({ table: ghlTable, scope: "loc_1", full: true }),
    begin: (saved, open) =>
      Promise.resolve(saved?.runId && open ? saved : { runId: null, page: 0, lastRunId: saved?.lastRunId }),
    opened(state, run, resumed) {
      seen.opened.push([run.id, resumed]);
      return state;
    },
    reader: () => ({
      async next(state) {
        const page = state.page + 1;
        seen.reads.push(page);
        await over.beforePage?.(page);
        const records = CONTACTS.slice(state.page * 2, page * 2);
        return { records, unmapped: [], state: { ...state, page }, done: page === PAGES };
      },
    }),
    closed(_state, _result, run) {
      seen.closed.push(run.id);
      return { keep: { runId: null, page: 0, lastRunId: run.id } };
    },
    ...over,
  };
  return { work, seen, run: (options: SliceOptions = {}) => runSlices(t.kysely, work, options) };
}

const logs = () => t.kysely.selectFrom("sync_logs").selectAll().orderBy("started_at").execute();
const live = async () =>
  (await t.kysely.selectFrom("ghl_data").select("external_contact_id").where("deleted_at", "is", null)
    .orderBy("external_contact_id").execute()).map((r) => r.external_contact_id);
const checkpoint = () => savedCheckpoint<PageState>(t.kysely, NAME);
const claimed = async () =>
  (await t.kysely.selectFrom("sync_checkpoints").select(
    sql<string | null>`state ->> 'claimToken'`.as("token"),
  )
    .where("name", "=", NAME).executeTakeFirst())?.token ?? null;

describe("runSlices", () => {
  it("reads every page through one run, finishes it once and soft-deletes what the full read did not see", async () => {
    await upsertRecords(t.kysely, ghlTable, [contact(99)]);
    const s = source();
    const outcome = await s.run();
    expect(outcome).toMatchObject({
      status: "done",
      pages: 3,
      result: { status: "SUCCESS", created: 5, deleted: 1 },
    });
    expect(s.seen.reads).toEqual([1, 2, 3]);
    const runs = await logs();
    expect(runs.filter((l) => l.scope === "loc_1").map((l) => [l.status, l.created, l.deleted])).toEqual([
      ["SUCCESS", 5, 1],
    ]);
    expect(s.seen.closed).toHaveLength(1);
    expect(await live()).toEqual(CONTACTS.map((c) => c.key).sort());
    expect(await checkpoint()).toEqual({ runId: null, page: 0, lastRunId: s.seen.closed[0] });
    expect(await claimed()).toBeNull();
  });

  it("stops when the page budget is spent and resumes in the same run on the next call", async () => {
    const s = source();
    const first = await s.run({ maxPages: 2 });
    expect(first).toMatchObject({ status: "running", pages: 2, state: { page: 2 } });
    const [run] = await logs();
    expect(run).toMatchObject({ status: "RUNNING", created: 4 });
    expect(await checkpoint()).toEqual({ runId: run.id, page: 2 });
    expect(await claimed()).toBeNull();
    expect(await live()).toHaveLength(4);

    const second = await s.run({ maxPages: 2 });
    expect(second).toMatchObject({ status: "done", pages: 1, result: { syncLogId: run.id, created: 5 } });
    expect(s.seen.reads).toEqual([1, 2, 3]);
    expect(s.seen.opened).toEqual([[run.id, false], [run.id, true]]);
    expect(s.seen.closed).toEqual([run.id]);
    expect(await logs()).toMatchObject([{ id: run.id, status: "SUCCESS", created: 5 }]);
  });

  it("stops when the time budget is spent, but reads at least one page per call", async () => {
    let clock = 0;
    const s = source({ beforePage: () => Promise.resolve(void (clock += 10)) });
    const options = { now: () => clock, budgetMs: 15 };
    expect(await s.run(options)).toMatchObject({ status: "running", pages: 2 });
    expect(await s.run({ ...options, budgetMs: 0 })).toMatchObject({ status: "done", pages: 1 });
    expect(await s.run({ ...options, budgetMs: 0, maxPages: 0 })).toMatchObject({
      status: "running",
      pages: 1,
    });
    expect(s.seen.reads).toEqual([1, 2, 3, 1]);
  });

  it("answers busy and touches nothing while another holder has the claim", async () => {
    const held = await claimCheckpoint(t.kysely, NAME, 60);
    const s = source();
    const outcome = await s.run();
    expect(outcome).toMatchObject({ status: "busy", heldUntil: expect.any(String) });
    expect(s.seen.reads).toEqual([]);
    expect(await logs()).toEqual([]);
    if ("heldUntil" in held) throw new Error("the test's claim failed");
    expect(await claimed()).toBe(held.token);
    await releaseClaim(t.kysely, held);
    expect(await s.run()).toMatchObject({ status: "done" });
  });

  it("answers busy when the claim is taken over mid-call, leaving the state and the run to the new holder", async () => {
    let taker: string | null = null;
    const s = source({
      async beforePage(page) {
        if (page !== 2) return;
        // The claim ran out while this page was read, and another call claimed the checkpoint.
        await sql`update sync_checkpoints set state = state || jsonb_build_object('claimedUntil', now() - interval '1 second')`
          .execute(t.kysely);
        const claim = await claimCheckpoint<PageState>(t.kysely, NAME, 60);
        if ("token" in claim) taker = claim.token;
      },
    });
    const outcome = await s.run();
    expect(outcome).toEqual({ status: "busy", heldUntil: null });
    expect(taker).not.toBeNull();
    const [run] = await logs();
    // The page was written (its rows are the same whoever writes them) but the cursor did not move.
    expect(await checkpoint()).toEqual({ runId: run.id, page: 1 });
    expect(await claimed()).toBe(taker);
    expect(run.status).toBe("RUNNING");
    expect(s.seen.closed).toEqual([]);
  });

  it("throws on a failed page, leaving the state and the run for the next call, which resumes at that page", async () => {
    let failures = 1;
    const s = source({
      beforePage(page) {
        if (page === 2 && failures-- > 0) {
          return Promise.reject(new UpstreamError("page 2 answered 500", 500));
        }
        return Promise.resolve();
      },
    });
    await expect(s.run()).rejects.toThrow(UpstreamError);
    const [run] = await logs();
    expect(run).toMatchObject({ status: "RUNNING", created: 2 });
    expect(await checkpoint()).toEqual({ runId: run.id, page: 1 });
    expect(await claimed()).toBeNull();

    expect(await s.run()).toMatchObject({ status: "done", pages: 2, result: { syncLogId: run.id } });
    expect(s.seen.reads).toEqual([1, 2, 2, 3]);
    expect(s.seen.closed).toEqual([run.id]);
    expect(await logs()).toMatchObject([{ id: run.id, status: "SUCCESS", created: 5, deleted: 0 }]);
  });

  it("closes the run FAILED once when the source says so, and starts over in a new run when it asks", async () => {
    let failures = 1;
    const s = source({
      beforePage(page) {
        if (page === 2 && failures-- > 0) return Promise.reject(new Error("the sheet changed"));
        return Promise.resolve();
      },
      failure: (error, attempt) => ({ reason: (error as Error).message, retry: attempt === 1 }),
    });
    const outcome = await s.run();
    expect(outcome).toMatchObject({ status: "done", pages: 4, result: { status: "SUCCESS", created: 3 } });
    const runs = await logs();
    expect(runs.map((l) => [l.status, l.error_message, l.deleted])).toEqual([
      ["FAILED", "the sheet changed", 0],
      ["SUCCESS", null, 0],
    ]);
    expect(s.seen.reads).toEqual([1, 2, 1, 2, 3]);
    expect(s.seen.closed).toEqual(runs.map((l) => l.id));

    failures = 1;
    const once = source({
      ...s.work,
      failure: (error) => ({ reason: (error as Error).message, retry: false }),
    });
    const failed = await once.run();
    expect(failed).toMatchObject({
      status: "failed",
      reason: "the sheet changed",
      result: { status: "FAILED" },
    });
    expect(await checkpoint()).toMatchObject({ runId: null, page: 0 });
  });

  it("hands begin the saved run only while it is RUNNING, and answers idle when begin finds no work", async () => {
    const s = source();
    const first = await s.run({ maxPages: 1 });
    const runId = (first as { state: PageState }).state.runId!;
    // What failAbandonedRuns does to a run whose lease ran out.
    await t.kysely.updateTable("sync_logs").set({ status: "FAILED" }).where("id", "=", runId).execute();
    const opens: (string | null)[] = [];
    const closed = source({
      begin(saved, open) {
        opens.push(open?.id ?? null);
        return Promise.resolve(saved && { ...saved, runId: null, page: 0 });
      },
    });
    expect(await closed.run()).toMatchObject({ status: "done", pages: 3 });
    expect(opens).toEqual([null]);
    expect(closed.seen.opened[0][0]).not.toBe(runId);

    const idle = source({ begin: () => Promise.resolve(null) });
    expect(await idle.run()).toMatchObject({ status: "idle", state: { runId: null } });
    expect(idle.seen.reads).toEqual([]);
    expect(await claimed()).toBeNull();
  });
});

describe("saveClaimed", () => {
  it("throws ClaimLostError once another holder took the checkpoint, and the database's own error when it is down", async () => {
    const mine = await claimCheckpoint<PageState>(t.kysely, NAME, 60);
    if ("heldUntil" in mine) throw new Error("the test's claim failed");
    await sql`update sync_checkpoints set state = state || jsonb_build_object('claimedUntil', now() - interval '1 second')`
      .execute(t.kysely);
    const theirs = await claimCheckpoint<PageState>(t.kysely, NAME, 60);
    expect("token" in theirs).toBe(true);
    const lost = await saveClaimed(t.kysely, mine, { runId: null, page: 7 }, 60).catch((e) => e);
    expect(lost).toBeInstanceOf(ClaimLostError);
    expect(lost.message).toMatch(/lost the claim on checkpoint test:slices/);

    const down = createDb("postgres://postgres@127.0.0.1:1/x", { connectTimeout: 2 });
    try {
      const outage = await saveClaimed(down.kysely, mine, { runId: null, page: 7 }, 60).catch((e) => e);
      expect(outage).not.toBeInstanceOf(ClaimLostError);
      expect(isUnavailable(outage)).toBe(true);
    } finally {
      await down.close();
    }
    expect(await checkpoint()).toEqual({});
  });
});
