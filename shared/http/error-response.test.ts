import { describe, expect, it } from "vitest";
import { errorResponse } from "./error-response.ts";
import {
  ConfigError,
  NotFoundError,
  PayloadError,
  PayloadTooLargeError,
  SignatureError,
  UnavailableError,
  UpstreamError,
} from "../errors.ts";

describe("errorResponse", () => {
  it("maps every known error to its status, in one shape", async () => {
    const cases: [unknown, number, string][] = [
      [new SignatureError("wrong bearer token"), 401, "unauthorized"],
      [new PayloadTooLargeError(1024), 413, "payload too large"],
      [new PayloadError("full must be true or false"), 400, "bad request"],
      [new NotFoundError("no sheet source named x"), 404, "not found"],
      [new UpstreamError("Whop answered 500 three times", 500), 502, "upstream"],
      [new UnavailableError("the database cannot take deliveries now; retry", 429), 429, "unavailable"],
      [new UnavailableError("could not be stored", 503, "not stored"), 503, "not stored"],
      [
        Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" }),
        503,
        "unavailable",
      ],
      [new ConfigError("CRON_SECRET is not set"), 500, "misconfigured"],
    ];
    for (const [error, status, label] of cases) {
      const response = errorResponse(error);
      expect(response.status, String(error)).toBe(status);
      const body = await response.json();
      expect(Object.keys(body).sort()).toEqual(["error", "reason"]);
      expect(body.error).toBe(label);
      expect(body.reason).not.toMatch(/\n|at .*\.ts:/);
    }
  });

  it("answers anything else with a generic 500 that quotes nothing", async () => {
    const response = errorResponse(new TypeError("cannot read properties of undefined (secret=abc)"));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: "internal error",
      reason: "the function failed; see its logs",
    });
  });
});
