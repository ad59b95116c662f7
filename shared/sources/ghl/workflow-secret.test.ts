import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SignatureError } from "../../errors.ts";
import { verifyWorkflowSecret } from "./workflow-secret.ts";

function reasonOf(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return (error as SignatureError).reason;
  }
  throw new Error("expected a SignatureError");
}

describe("verifyWorkflowSecret", () => {
  it("passes when the provided secret equals the configured one", () => {
    expect(() => verifyWorkflowSecret({ provided: "s3cret-value", expected: "s3cret-value" })).not.toThrow();
  });

  it("refuses every delivery while GHL_WORKFLOW_SECRET is unset, even one without a secret", () => {
    for (const provided of [null, "", "anything"]) {
      expect(reasonOf(() => verifyWorkflowSecret({ provided, expected: undefined }))).toBe(
        "workflow deliveries are disabled: GHL_WORKFLOW_SECRET is not set",
      );
    }
    expect(reasonOf(() => verifyWorkflowSecret({ provided: "", expected: "" }))).toMatch(/is not set/);
  });

  it("refuses a delivery that carries no secret", () => {
    expect(reasonOf(() => verifyWorkflowSecret({ provided: null, expected: "s3cret" }))).toBe(
      "missing workflow secret (x-webhook-secret header or ?secret=)",
    );
  });

  it("refuses a wrong secret, including a prefix or a case variant of the right one", () => {
    for (const provided of ["s3cre", "s3cret!", "S3CRET", "other"]) {
      expect(reasonOf(() => verifyWorkflowSecret({ provided, expected: "s3cret" }))).toBe(
        "workflow secret does not match",
      );
    }
  });

  it("accepts exactly the configured secret and nothing else", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (provided, expected) => {
        const run = () => verifyWorkflowSecret({ provided, expected });
        if (provided === expected) expect(run).not.toThrow();
        else expect(run).toThrow(SignatureError);
      }),
    );
  });
});
