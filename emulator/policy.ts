// Bucket policies for anonymous requests: the statements whose Principal is "*" allow or deny an action on a
// resource, an explicit Deny winning over any Allow, and the ACL deciding when no statement applies, as the
// service combines them. Statements with a Condition are not evaluated (the README says so): they never apply.

export type PolicyDecision = "allow" | "deny" | undefined;

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Principal?: unknown;
  Resource?: unknown;
  Condition?: unknown;
}

/** What `policyText` (a stored bucket policy) says about anonymous `action` (`oss:GetObject`) on `resource`. */
export function anonymousDecision(policyText: string | undefined, action: string, resource: string): PolicyDecision {
  if (policyText === undefined) return undefined;
  let statements: Statement[];
  try {
    statements = (JSON.parse(policyText) as { Statement: Statement[] }).Statement;
  } catch {
    return undefined;
  }
  let decision: PolicyDecision;
  for (const statement of statements) {
    if (statement.Condition !== undefined) continue;
    if (!list(statement.Principal).includes("*")) continue;
    if (!list(statement.Action).some((pattern) => matches(pattern, action))) continue;
    if (!list(statement.Resource).some((pattern) => matches(pattern, resource))) continue;
    if (statement.Effect === "Deny") return "deny";
    if (statement.Effect === "Allow") decision = "allow";
  }
  return decision;
}

/** The policy resource of an object or bucket: `acs:oss:*:*:bucket/key`, `acs:oss:*:*:bucket`. */
export function policyResource(bucket: string, key: string): string {
  return key === "" ? `acs:oss:*:*:${bucket}` : `acs:oss:*:*:${bucket}/${key}`;
}

function list(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

// `*` matches any run of characters, in actions and resources alike; a resource's region and account fields
// (`acs:oss:cn-hangzhou:1234:bucket/…`) match whatever this server is.
function matches(pattern: string, value: string): boolean {
  const normalized = pattern.replace(/^acs:oss:[^:]*:[^:]*:/, "acs:oss:*:*:");
  const regex = new RegExp(`^${normalized.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
  return regex.test(value);
}
