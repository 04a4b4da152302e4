// Archive storage classes: an Archive, ColdArchive or DeepColdArchive object must be restored before it can be
// read. A restore is a record of when it was asked for; whether it is still running, done, or expired follows
// from the clock, so no timer has to survive a restart.
import type { ObjectRecord } from "./store.ts";

export const ARCHIVE_CLASSES = new Set(["Archive", "ColdArchive", "DeepColdArchive"]);

/** A restore as kept with the object: when its copy is readable, and until when. Milliseconds since the epoch. */
export interface RestoreRecord {
  readyAt: number;
  expiresAt: number;
}

export type RestoreState = "frozen" | "ongoing" | "restored";

/** Whether an object's bytes can be read now: always for the other classes, once restored for archives. */
export function restoreStateOf(record: ObjectRecord, now = Date.now()): RestoreState | "readable" {
  if (!ARCHIVE_CLASSES.has(record.storageClass)) return "readable";
  const restore = record.restore;
  if (!restore || now >= restore.expiresAt) return "frozen";
  return now < restore.readyAt ? "ongoing" : "restored";
}

/** The x-oss-restore header of HEAD and GET, or undefined when no restore is under way or in effect. */
export function restoreHeaderOf(record: ObjectRecord, now = Date.now()): string | undefined {
  const state = restoreStateOf(record, now);
  if (state === "ongoing") return 'ongoing-request="true"';
  if (state === "restored") return `ongoing-request="false", expiry-date="${new Date(record.restore!.expiresAt).toUTCString()}"`;
  return undefined;
}
