// Generated from shared/sources/registry.ts by `npm run functions`; do not edit.
import { app } from "./app.ts";

Deno.serve(app.fetch);
