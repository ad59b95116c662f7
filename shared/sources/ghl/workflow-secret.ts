/**
 * Checks the shared secret that guards HighLevel workflow webhooks. Workflow deliveries are
 * unsigned (sources.md 3.4), so the operator puts `GHL_WORKFLOW_SECRET` into the webhook action's
 * header (`x-webhook-secret`) or query string (`?secret=`), and we compare it in constant time.
 */

import { timingSafeEqualText } from "../../crypto/encoding.ts";
import { SignatureError } from "../../errors.ts";

/**
 * Passes silently when `provided` equals `expected`.
 *
 * @throws SignatureError when the secret is unset (workflow deliveries are then refused, never
 *   accepted unauthenticated), missing from the request, or different.
 * @example
 *   verifyWorkflowSecret({
 *     provided: req.headers.get("x-webhook-secret") ?? new URL(req.url).searchParams.get("secret"),
 *     expected: env("GHL_WORKFLOW_SECRET"),
 *   });
 */
export function verifyWorkflowSecret(input: { provided: string | null; expected: string | undefined }): void {
  const { provided, expected } = input;
  if (expected === undefined || expected === "") {
    throw new SignatureError("workflow deliveries are disabled: GHL_WORKFLOW_SECRET is not set");
  }
  if (provided === null || provided === "") {
    throw new SignatureError("missing workflow secret (x-webhook-secret header or ?secret=)");
  }
  if (!timingSafeEqualText(provided, expected)) {
    throw new SignatureError("workflow secret does not match");
  }
}
