// Lifecycle rules applied: objects past a rule's Expiration (Days after their last change, or changed before a
// Date / CreatedBeforeDate) are removed, and uploads past its AbortMultipartUpload are aborted, on the server's
// clock (which a test can give). The service applies rules in the background, about daily; here a sweep runs
// every `lifecycleIntervalMs` and whenever `applyLifecycle()` is called. Transitions are kept, not applied.
import type { EmulatorState } from "./context.ts";
import type { ObjectRecord } from "./store.ts";
import { childOf, childrenOf, parseXml, textOf, type XmlElement } from "./xml.ts";

const DAY = 86_400_000;

interface Rule {
  prefix: string;
  tags: Array<[string, string]>;
  /** An object changed at or before this moment has expired; computed per object for Days. */
  expiration?: { days?: number; before?: number };
  abortUploads?: { days?: number; before?: number };
}

/** Applies every bucket's enabled rules at `now`; resolves with how many objects and uploads it removed. */
export async function applyLifecycle(em: EmulatorState, now: number): Promise<number> {
  let removed = 0;
  for (const bucket of em.store.listBuckets()) {
    const text = bucket.subresources?.lifecycle;
    if (text === undefined) continue;
    for (const rule of rulesOf(text)) {
      if (rule.expiration) {
        const expired = [...em.store.list(bucket.name, rule.prefix, undefined)].filter((r) => applies(rule, r) && isPast(rule.expiration!, r.lastModified, now));
        for (const record of expired) {
          await em.store.mutate(bucket.name, record.key, async (current) => {
            // Rewritten since the sweep looked: the new version has its own age.
            if (!current || current.lastModified !== record.lastModified) return undefined;
            removed++;
            return null;
          });
        }
      }
      if (rule.abortUploads) {
        for (const upload of em.uploads.list(bucket.name)) {
          if (!upload.key.startsWith(rule.prefix) || !isPast(rule.abortUploads, upload.initiated, now)) continue;
          try {
            await em.uploads.finish(em.uploads.get(bucket.name, upload.key, upload.uploadId), async () => true);
            removed++;
          } catch {
            // Completed or aborted meanwhile: nothing left to abort.
          }
        }
      }
    }
  }
  return removed;
}

function isPast(limit: { days?: number; before?: number }, changed: number, now: number): boolean {
  if (limit.days !== undefined) return changed + limit.days * DAY <= now;
  return limit.before !== undefined && changed < limit.before && limit.before <= now;
}

function applies(rule: Rule, record: ObjectRecord): boolean {
  return rule.tags.every(([key, value]) => record.tags.some(([k, v]) => k === key && v === value));
}

// The enabled rules of a stored LifecycleConfiguration; a document that no longer parses applies nothing.
function rulesOf(text: string): Rule[] {
  let document: XmlElement;
  try {
    document = parseXml(text);
  } catch {
    return [];
  }
  const rules: Rule[] = [];
  for (const rule of childrenOf(document, "Rule")) {
    if ((textOf(rule, "Status") ?? "").trim() !== "Enabled") continue;
    const filter = childOf(rule, "Filter");
    const tags = [...childrenOf(rule, "Tag"), ...(filter ? childrenOf(filter, "Tag") : [])].map(
      (tag): [string, string] => [(textOf(tag, "Key") ?? "").trim(), (textOf(tag, "Value") ?? "").trim()],
    );
    const expiration = limitOf(childOf(rule, "Expiration"));
    const abortUploads = limitOf(childOf(rule, "AbortMultipartUpload"));
    rules.push({
      prefix: textOf(rule, "Prefix") ?? (filter ? (textOf(filter, "Prefix") ?? "") : ""),
      tags,
      ...(expiration ? { expiration } : {}),
      ...(abortUploads ? { abortUploads } : {}),
    });
  }
  return rules;
}

function limitOf(element: XmlElement | undefined): { days?: number; before?: number } | undefined {
  if (!element) return undefined;
  const days = textOf(element, "Days");
  if (days !== undefined && /^\d+$/.test(days.trim())) return { days: Number(days) };
  const date = textOf(element, "Date") ?? textOf(element, "CreatedBeforeDate");
  const before = date === undefined ? NaN : Date.parse(date.trim());
  return Number.isFinite(before) ? { before } : undefined;
}
