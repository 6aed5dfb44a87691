/**
 * What can go wrong, naming the address and the cause. The codes mirror the variants of the
 * Rust SDK's `Error`, so an application handles both SDKs the same way.
 */

export type AnvilErrorCode =
  /** The client's options are wrong (no base URL, a bad default spec, an unreadable bundle). */
  | "config"
  /** The address does not parse, or names no prompt where one is needed. */
  | "invalid_address"
  /** The set, version or prompt does not exist (404, or a prompt missing from a set). */
  | "not_found"
  /** The variables do not fit the prompt's parameters; `problems` names each. */
  | "invalid_variables"
  /** The forge refused a request as invalid (400/422), naming each field. */
  | "invalid"
  /** The template failed to render. */
  | "render"
  /** The forge could not be reached (connection error, timeout, 5xx after retries). */
  | "unreachable"
  /** The forge refused the request (401, 403, another 4xx) or answered nonsense. */
  | "refused"
  /** Content that does not match its checksum: never served. */
  | "checksum";

/** One problem with a named field (`variables.customer_name`: "is required"). */
export interface FieldProblem {
  field: string;
  message: string;
}

export interface AnvilErrorInit {
  address?: string | undefined;
  status?: number | undefined;
  url?: string | undefined;
  problems?: FieldProblem[] | undefined;
  expected?: string | undefined;
  cause?: unknown;
}

export class AnvilError extends Error {
  readonly code: AnvilErrorCode;
  /** What the error is about: an address, `events of <project>`, or an API path. */
  readonly address: string | undefined;
  /** The HTTP status that caused it, when one did. */
  readonly status: number | undefined;
  /** The forge's URL, for `unreachable`. */
  readonly url: string | undefined;
  /** Each field or variable that is wrong, for `invalid_variables` and `invalid`. */
  readonly problems: FieldProblem[];
  /** The checksum the content should have had, for `checksum`. */
  readonly expected: string | undefined;

  constructor(code: AnvilErrorCode, message: string, init: AnvilErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "AnvilError";
    this.code = code;
    this.address = init.address;
    this.status = init.status;
    this.url = init.url;
    this.problems = init.problems ?? [];
    this.expected = init.expected;
  }
}

export function configError(message: string, cause?: unknown): AnvilError {
  return new AnvilError("config", `client configuration: ${message}`, { cause });
}

export function invalidAddress(address: string, message: string): AnvilError {
  return new AnvilError("invalid_address", `'${address}' is not an address: ${message}`, { address });
}

export function notFound(address: string, message: string, status?: number): AnvilError {
  return new AnvilError("not_found", `${address}: ${message}`, { address, status });
}

export function invalidVariables(address: string, problems: FieldProblem[]): AnvilError {
  const list = problems.map((p) => `${p.field} ${p.message}`).join("; ");
  return new AnvilError("invalid_variables", `${address}: invalid variables: ${list}`, {
    address,
    problems,
    status: 422,
  });
}

export function invalid(address: string, message: string, problems: FieldProblem[], status: number): AnvilError {
  const list = problems.map((p) => `\n  ${p.field}: ${p.message}`).join("");
  return new AnvilError("invalid", `${address}: ${message}${list}`, { address, problems, status });
}

export function renderError(address: string, message: string, cause?: unknown): AnvilError {
  return new AnvilError("render", `${address}: ${message}`, { address, cause });
}

export function unreachable(url: string, message: string, address?: string, cause?: unknown): AnvilError {
  return new AnvilError("unreachable", `the forge at ${url} cannot be reached: ${message}`, {
    url,
    address,
    cause,
  });
}

export function refused(address: string, status: number, message: string): AnvilError {
  return new AnvilError("refused", `${address}: the forge refused the request (${status}): ${message}`, {
    address,
    status,
  });
}

export function checksumMismatch(address: string, expected: string): AnvilError {
  return new AnvilError(
    "checksum",
    `${address}: the content does not match its checksum ${expected}; not served`,
    { address, expected },
  );
}
