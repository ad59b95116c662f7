// Generated from shared/sources/registry.ts by `npm run functions`; do not edit.
import { createFunctionApp } from "../../shared/sources/registry.ts";

/** The `webhook-drain` function's app: served alone by index.ts on Supabase, with the others by `npm start`. */
export const app = createFunctionApp("webhook-drain");
