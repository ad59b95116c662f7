import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../crypto/encoding.ts";
import { workflowDeliveryId } from "./workflow-delivery-id.ts";

describe("workflowDeliveryId", () => {
  it("is wf_ plus the SHA-256 hex of the raw bytes", async () => {
    expect(await workflowDeliveryId(utf8("abc"))).toBe(
      "wf_ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("gives an identical repeat the same id and any changed body another", async () => {
    const body = new Uint8Array(
      readFileSync(new URL("../../../tests/fixtures/ghl/workflow.json", import.meta.url)),
    );
    const changed = new Uint8Array(body);
    changed[changed.length - 3] ^= 1;
    expect(await workflowDeliveryId(body)).toBe(await workflowDeliveryId(new Uint8Array(body)));
    expect(await workflowDeliveryId(changed)).not.toBe(await workflowDeliveryId(body));
  });
});
