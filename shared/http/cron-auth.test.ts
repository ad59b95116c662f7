import { describe, expect, it } from "vitest";
import { requireCronSecret } from "./cron-auth.ts";
import { SignatureError } from "../errors.ts";

const SECRET = "s3cret-for-cron";
const request = (authorization?: string) =>
  new Request("http://local/x", { method: "POST", headers: authorization ? { authorization } : {} });

describe("requireCronSecret", () => {
  it("accepts the bearer secret, with any case of the scheme and surrounding spaces", async () => {
    await expect(requireCronSecret(request(`Bearer ${SECRET}`), { secret: () => SECRET })).resolves
      .toBeUndefined();
    await expect(requireCronSecret(request(`bearer   ${SECRET} `), { secret: () => SECRET })).resolves
      .toBeUndefined();
  });

  it("refuses a missing header, another scheme, a wrong, longer or shorter token", async () => {
    const cases: [string | undefined, string][] = [
      [undefined, "missing header authorization"],
      [`Basic ${SECRET}`, "authorization is not a bearer token"],
      ["Bearer", "authorization is not a bearer token"],
      ["Bearer wrong", "wrong bearer token"],
      [`Bearer ${SECRET}x`, "wrong bearer token"],
      [`Bearer ${SECRET.slice(0, -1)}`, "wrong bearer token"],
    ];
    for (const [header, reason] of cases) {
      const error = await requireCronSecret(request(header), { secret: () => SECRET }).catch((e) => e);
      expect(error).toBeInstanceOf(SignatureError);
      expect(error.reason).toBe(reason);
    }
  });

  it("refuses every call when no secret is configured, even an empty bearer", async () => {
    for (const secret of [undefined, ""]) {
      const error = await requireCronSecret(request("Bearer "), { secret: () => secret }).catch((e) => e);
      expect(error).toBeInstanceOf(SignatureError);
      expect(error.reason).toMatch(/CRON_SECRET is not configured/);
    }
  });

  it("reads CRON_SECRET from the environment on each call when no secret is given", async () => {
    const saved = process.env.CRON_SECRET;
    try {
      process.env.CRON_SECRET = "first";
      await expect(requireCronSecret(request("Bearer first"))).resolves.toBeUndefined();
      process.env.CRON_SECRET = "rotated";
      await expect(requireCronSecret(request("Bearer first"))).rejects.toThrow("wrong bearer token");
    } finally {
      if (saved === undefined) delete process.env.CRON_SECRET;
      else process.env.CRON_SECRET = saved;
    }
  });
});
