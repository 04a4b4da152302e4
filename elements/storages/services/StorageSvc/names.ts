// Which names the service accepts, and the names it derives: md5 names, thumbnail names, content types.
import { posix } from "node:path";

/**
 * Why `name` is refused, or undefined. On top of each storage's own checks: no `..` or `.` segments, no absolute
 * or drive paths, no backslashes or control characters, since these names arrive from URLs.
 */
export function fileNameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || name === "") return "a file name must be a non-empty string";
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name)) return `${JSON.stringify(name)} is an absolute path; give the name inside the storage`;
  if (name.includes("\\")) return `${JSON.stringify(name)} has a backslash; separate folders with "/"`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${JSON.stringify(name)} has a control character`;
  if (name.split("/").some((part) => part === ".." || part === ".")) return `${JSON.stringify(name)} has a "." or ".." segment, which could leave its folder`;
  if (name.endsWith("/")) return `${JSON.stringify(name)} ends with "/": that is a folder, not a file`;
  return undefined;
}

/** `folder/example.txt` with md5 `abc…` → `folder/abc….txt`: JitAI's `{md5}.{ext}`, in the file's folder. */
export function md5Name(file: string, md5: string): string {
  const { dir, ext } = posix.parse(file);
  return `${dir === "" ? "" : `${dir}/`}${md5}${ext.toLowerCase()}`;
}

/** JitAI's thumbnail name, beside the original: `a/image.jpg`, 120 × 80 → `a/image_120_80.jpg`. */
export function thumbnailName(name: string, width: number, height: number): string {
  const { dir, name: base, ext } = posix.parse(name);
  return `${dir === "" ? "" : `${dir}/`}${base}_${width}_${height}${ext}`;
}

/** Whether `candidate` is a thumbnail of `name` (`<base>_<w>_<h>.<ext>` in the same folder). */
export function isThumbnailOf(candidate: string, name: string): boolean {
  const { dir, name: base, ext } = posix.parse(name);
  const prefix = `${dir === "" ? "" : `${dir}/`}${base}_`;
  if (!candidate.startsWith(prefix) || !candidate.endsWith(ext)) return false;
  return /^\d{1,4}_\d{1,4}$/.test(candidate.slice(prefix.length, candidate.length - ext.length));
}

const byExtension: Record<string, string> = {
  ".txt": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".htm": "text/html; charset=utf-8",
  ".json": "application/json",
  ".xml": "application/xml",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".mp3": "audio/mpeg",
  ".wav": "audio/wav",
  ".mp4": "video/mp4",
  ".webm": "video/webm",
  ".doc": "application/msword",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".xls": "application/vnd.ms-excel",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".ppt": "application/vnd.ms-powerpoint",
  ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

/** The MIME type JitAI's disk storage infers from an extension; application/octet-stream when unknown. */
export function contentTypeFor(file: string): string {
  return byExtension[posix.extname(file).toLowerCase()] ?? "application/octet-stream";
}
