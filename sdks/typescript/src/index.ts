/**
 * Anvil's TypeScript SDK: fetch and render prompts by address from an application, verified,
 * cached, followed live, and served from the disk or a fallback bundle when the forge is away.
 *
 * ```ts
 * import { AnvilClient } from "@anvil/sdk";
 * const anvil = new AnvilClient({ baseUrl: "http://localhost:4000", apiKey: process.env.ANVIL_API_KEY });
 * const { text } = await anvil.render("support/emails/welcome", { customer_name: "Ada" });
 * ```
 */

export { AnvilClient, SDK_VERSION } from "./client.js";
export { AnvilError } from "./errors.js";
export type { AnvilErrorCode, FieldProblem } from "./errors.js";
export { Subscription } from "./live.js";
export { toCanonical, checksum } from "./canonical.js";
export type { Json } from "./canonical.js";
export type { Parameter, ParameterType, PinnedDependency, PromptContent } from "./snapshot.js";
export type {
  AnvilEvent,
  Change,
  ClientOptions,
  FetchLike,
  Mode,
  Prompt,
  PromptSet,
  Rendered,
  Resolution,
  State,
} from "./types.js";
