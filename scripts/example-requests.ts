/**
 * The ready-to-paste signed request `npm start` prints, signed with the running secret.
 */
import { signStandardWebhook } from "../shared/sources/whop/standard-webhooks.ts";

/** A curl command that delivers a signed `payment.succeeded` to the local `whop-webhook`. */
export async function exampleRequests(base: string): Promise<string> {
  const secret = Deno.env.get("WHOP_WEBHOOK_SECRET")!;
  const id = `msg_example_${Date.now()}`;
  const body = JSON.stringify({
    id,
    api_version: "v1",
    timestamp: new Date().toISOString(),
    type: "payment.succeeded",
    data: {
      id: "pay_example_1",
      status: "paid",
      currency: "usd",
      total: 49.0,
      usd_total: 49.0,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
      user: { id: "user_example", email: "jane@example.com", name: "Jane Example" },
    },
  });
  // Valid for five minutes: Whop's tolerance, which the function enforces.
  const headers = await signStandardWebhook({ id, timestamp: new Date(), body, secret });
  const h = Object.entries(headers).map(([k, v]) => `-H '${k}: ${v}'`).join(" ");
  return `curl -s -X POST ${base}/whop-webhook -H 'content-type: application/json' ${h} \\\n  -d '${body}'`;
}
