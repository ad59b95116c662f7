/**
 * createScheduledApp: the Hono app behind every scheduled function (pg_cron ticks, backfill
 * slices, the CLI's `--remote` calls): a POST with `Authorization: Bearer <CRON_SECRET>` and a
 * small JSON body, parsed with the function's zod schema. The work's answer is the 200 body; every
 * error it throws becomes its status through `errorResponse`, in the one `{error, reason}` shape.
 */
import { Hono } from "hono";
import type { z } from "zod";
import { PayloadError } from "../errors.ts";
import { requireCronSecret } from "./cron-auth.ts";
import { readBody } from "./read-body.ts";
import { errorResponse, json } from "./error-response.ts";

/** A scheduled call's body is small: a few flags and a name. */
const MAX_BODY_BYTES = 16 * 1024;

/** What a scheduled function is made of. */
export interface ScheduledAppOptions<Body> {
  /** The body's schema; an empty body reads as `{}`. */
  body: z.ZodType<Body>;
  /** The bearer secret; default `CRON_SECRET`, read per request so a rotation needs no restart. */
  secret?: () => string | undefined;
  /** Does the work and returns the answer (HTTP 200). */
  run(body: Body): Promise<Record<string, unknown>>;
}

/**
 * Builds the app.
 *
 * @example
 * export const app = createScheduledApp({
 *   body: z.object({ full: z.boolean().default(false) }),
 *   run: async ({ full }) => ({ done: true, full }),
 * });
 */
export function createScheduledApp<Body>(options: ScheduledAppOptions<Body>): Hono {
  const app = new Hono();
  app.post("*", async (c) => {
    await requireCronSecret(c.req.raw, { secret: options.secret });
    const body = parseBody(options.body, await readBody(c.req.raw, MAX_BODY_BYTES));
    return json(200, await options.run(body));
  });
  app.all("*", () => json(405, { error: "method not allowed", reason: "send a POST" }));
  app.onError((error) => errorResponse(error));
  return app;
}

/** The body through its schema, or a PayloadError naming the first thing wrong. */
export function parseBody<Body>(schema: z.ZodType<Body>, bytes: Uint8Array): Body {
  const text = new TextDecoder().decode(bytes).trim();
  let value: unknown = {};
  if (text !== "") {
    try {
      value = JSON.parse(text);
    } catch {
      throw new PayloadError("the body is not JSON; send a JSON object such as {}");
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PayloadError("the body must be a JSON object");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PayloadError(`${issue.path.join(".") || "the body"}: ${issue.message}`, parsed.error.issues);
  }
  return parsed.data;
}
