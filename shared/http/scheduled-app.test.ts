import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createScheduledApp } from "./scheduled-app.ts";
import { UnavailableError, UpstreamError } from "../errors.ts";

const SECRET = "cron-secret-for-tests";
const calls: unknown[] = [];
const app = createScheduledApp({
  body: z.object({ full: z.boolean().default(false), source: z.string().min(1).optional() }).strict(),
  secret: () => SECRET,
  run: async (body) => {
    calls.push(body);
    await Promise.resolve(); // the work of a real function is asynchronous
    if (body.source === "upstream") throw new UpstreamError("Whop answered 500 three times", 500);
    if (body.source === "down") throw new UnavailableError("the database cannot be reached now; retry");
    return { done: true, ...body };
  },
});

function post(body: string | undefined, token = SECRET) {
  return app.request("/x", { method: "POST", body, headers: { authorization: `Bearer ${token}` } });
}

describe("createScheduledApp", () => {
  it("runs the work with the parsed body, an empty body reading as {}", async () => {
    expect(await (await post(undefined)).json()).toEqual({ done: true, full: false });
    expect(await (await post('{"full": true, "source": "crm"}')).json())
      .toEqual({ done: true, full: true, source: "crm" });
  });

  it("refuses a wrong bearer before reading the body", async () => {
    calls.length = 0;
    const response = await post('{"full": true}', "wrong");
    expect(response.status).toBe(401);
    expect(calls).toEqual([]);
  });

  it("answers 400 with one line for a body that is not what the schema says", async () => {
    for (
      const [body, reason] of [
        ["{not json", /not JSON/],
        ["[1]", /must be a JSON object/],
        ['{"full": "yes"}', /^full: /],
        ['{"fulll": true}', /fulll/],
      ] as const
    ) {
      const response = await post(body);
      expect(response.status, body).toBe(400);
      const answer = await response.json();
      expect(answer.error).toBe("bad request");
      expect(answer.reason).toMatch(reason);
      expect(answer.reason).not.toContain("\n");
    }
  });

  it("maps the work's errors through the one error mapping", async () => {
    const upstream = await post('{"source": "upstream"}');
    expect(upstream.status).toBe(502);
    expect(await upstream.json()).toEqual({ error: "upstream", reason: "Whop answered 500 three times" });
    expect((await post('{"source": "down"}')).status).toBe(503);
    expect((await app.request("/x", { method: "GET" })).status).toBe(405);
  });
});
