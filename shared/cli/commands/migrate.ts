import type { Command } from "../../sources/source.ts";
import { migrate } from "../../db/migrate.ts";

export const migrateCommand: Command = {
  usage: "migrate",
  summary: "apply pending SQL migrations from migrations/",
  async run(ctx) {
    const db = await ctx.db();
    const { applied, alreadyApplied } = await migrate(
      db.sql,
      new URL("../../../migrations", import.meta.url).pathname,
    );
    for (const f of applied) ctx.log(`applied ${f.version}_${f.name}.sql`);
    ctx.log(`${applied.length} applied, ${alreadyApplied} already applied`);
  },
};
