/**
 * requireCronSecret: the check in front of every scheduled function (`sheets-pull`, `whop-backfill`):
 * `Authorization: Bearer <CRON_SECRET>`, compared in constant time. Without a configured secret
 * every call is refused (interfaces.md 3), so a forgotten variable never opens the endpoint.
 */
import { sha256Hex, timingSafeEqualText } from "../crypto/encoding.ts";
import { SignatureError } from "../errors.ts";
import { env } from "../env.ts";

/**
 * Resolves when the request carries the bearer secret. `options.secret` defaults to reading
 * `CRON_SECRET` per call, so a rotated secret applies without a restart.
 *
 * @throws SignatureError (HTTP 401 through `errorResponse`) when the header is missing, is not a
 *   bearer token, does not match, or no secret is configured.
 * @example
 * app.post("*", async (c) => {
 *   await requireCronSecret(c.req.raw);
 *   ...
 * });
 */
export async function requireCronSecret(
  request: Request,
  options: { secret?: () => string | undefined } = {},
): Promise<void> {
  const secret = (options.secret ?? (() => env("CRON_SECRET")))();
  if (!secret) throw new SignatureError("CRON_SECRET is not configured; scheduled calls are refused");
  const header = request.headers.get("authorization");
  if (!header) throw new SignatureError("missing header authorization");
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) throw new SignatureError("authorization is not a bearer token");
  // Comparing digests makes the comparison independent of the presented token's length too.
  const [given, expected] = await Promise.all([sha256Hex(match[1].trim()), sha256Hex(secret)]);
  if (!timingSafeEqualText(given, expected)) throw new SignatureError("wrong bearer token");
}
