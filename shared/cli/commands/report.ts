import type { Command } from "../../sources/source.ts";
import { parseArgs, stringFlag } from "../args.ts";
import { formatTable } from "../table.ts";
import { sources } from "../../sources/registry.ts";

export const reportCommand: Command = {
  usage: "report [--top N]",
  summary: "revenue by month and source, the top customers, and open disputes and other problems",
  async run(ctx) {
    const args = parseArgs(ctx.args, ["top"]);
    const top = Number(stringFlag(args, "top") ?? 10);
    if (!Number.isInteger(top) || top < 1) throw new Error("--top takes a whole number of customers");
    const { kysely } = await ctx.db();
    const months = await kysely.selectFrom("revenue_by_month").selectAll()
      .orderBy("month").orderBy("source").execute();
    ctx.log("Revenue by month and source (USD)\n");
    ctx.log(formatTable(
      ["month", "source", "gross_usd", "refunded_usd", "net_usd"],
      months.map((
        m,
      ) => [m.month.toISOString().slice(0, 7), m.source, m.gross_usd, m.refunded_usd, m.net_usd]),
    ));
    const customers = await kysely.selectFrom("revenue_by_user").selectAll()
      .where("total_usd", ">", "0").orderBy("total_usd", "desc").orderBy("email").limit(top).execute();
    ctx.log(`\nTop ${top} customers (USD, net of refunds)\n`);
    const columns = sources.flatMap((s) => s.revenueColumn === null ? [] : [s.revenueColumn]);
    ctx.log(formatTable(
      ["email", "name", ...columns, "total_usd"],
      customers.map((c) => [c.email, c.name, ...columns.map((column) => c[column]), c.total_usd]),
    ));
    // Open disputes (held back, not subtracted) and refunds beyond a payment (the excess not counted).
    const problems = await kysely.selectFrom("revenue_problems").leftJoin(
      "users",
      "users.id",
      "revenue_problems.user_id",
    )
      .select(["source", "key", "problem", "detail", "users.email"])
      .orderBy("source").orderBy("problem").orderBy("key").execute();
    ctx.log(`\nProblems: open disputes and money not counted (${problems.length})\n`);
    ctx.log(formatTable(
      ["source", "key", "email", "problem", "detail"],
      problems.map((p) => [p.source, p.key, p.email, p.problem, p.detail]),
    ));
  },
};
