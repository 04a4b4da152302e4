// multipart/form-data as PostObject sends it: small fields first, the file last. The fields are gathered (up to
// a limit); the file is handed over as a stream while it arrives, so that an upload of any size passes through
// without being held. Purpose-built: the one form PostObject takes, not a general parser.
import type { Readable } from "node:stream";
import { errors } from "./errors.ts";

/** The file part as it starts: its field name, file name and Content-Type, and the fields before it. */
export interface FilePart {
  filename: string;
  contentType: string;
  /** Fields before the file, names lower-cased (the service reads them without regard to case). */
  fields: Map<string, string>;
}

/** Receives the file's bytes: `write` for each piece (awaited, for backpressure), `end` once it is whole. */
export interface FileSink {
  write(chunk: Buffer): Promise<void>;
  end(): Promise<void>;
}

// The fields of a policy form are a few kilobytes; more is not a form the service takes.
const MAX_FIELDS_BYTES = 1024 * 1024;

/** The boundary of a multipart/form-data Content-Type; undefined for any other type. */
export function boundaryOf(contentType: string): string | undefined {
  if (!/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/**
 * Reads the form from `source`; at the file part calls `onFile`, which returns where the bytes go (after checking
 * the fields, so that a refused upload is never written). Fields after the file are ignored, as the service
 * ignores them. Resolves with the fields once the form has ended; throws 400 for a malformed form or no file.
 */
export async function readForm(
  source: Readable,
  boundary: string,
  onFile: (part: FilePart) => Promise<FileSink>,
): Promise<Map<string, string>> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields = new Map<string, string>();
  let fieldBytes = 0;
  // The body starts with "--boundary": seen as a delimiter once a CRLF is put before it.
  let buffer: Buffer = Buffer.from("\r\n");
  type Phase = "preamble" | "after-delimiter" | "headers" | "body" | "epilogue";
  let phase = "preamble" as Phase;
  let part: { name: string; file?: FileSink; chunks: Buffer[] } | undefined;
  let sawFile = false;

  const finishPart = async () => {
    if (!part) return;
    if (part.file) await part.file.end();
    else if (!sawFile && !fields.has(part.name)) fields.set(part.name, Buffer.concat(part.chunks).toString("utf8"));
    part = undefined;
  };
  const emit = async (data: Buffer) => {
    if (!part || data.length === 0) return;
    if (part.file) return part.file.write(data);
    if (sawFile) return;
    fieldBytes += data.length;
    if (fieldBytes > MAX_FIELDS_BYTES) throw errors.malformedPostRequest("The form fields are too large.");
    part.chunks.push(data);
  };

  const step = async (): Promise<boolean> => {
    switch (phase) {
      case "preamble": {
        const at = buffer.indexOf(delimiter);
        if (at < 0) {
          buffer = buffer.subarray(Math.max(0, buffer.length - delimiter.length));
          return false;
        }
        buffer = buffer.subarray(at + delimiter.length);
        phase = "after-delimiter";
        return true;
      }
      case "after-delimiter": {
        if (buffer.length < 2) return false;
        if (buffer[0] === 0x2d && buffer[1] === 0x2d) {
          phase = "epilogue";
          return false;
        }
        const lineEnd = buffer.indexOf("\r\n");
        if (lineEnd < 0) return false;
        buffer = buffer.subarray(lineEnd + 2);
        phase = "headers";
        return true;
      }
      case "headers": {
        const end = buffer.indexOf("\r\n\r\n");
        if (end < 0) {
          if (buffer.length > 16 * 1024) throw errors.malformedPostRequest("A form part's headers are too large.");
          return false;
        }
        const headers = parsePartHeaders(buffer.subarray(0, end).toString("utf8"));
        buffer = buffer.subarray(end + 4);
        phase = "body";
        const name = (headers.name ?? "").toLowerCase();
        if (name === "file" && headers.filename !== undefined && !sawFile) {
          sawFile = true;
          const file = await onFile({ filename: headers.filename, contentType: headers.contentType ?? "", fields });
          part = { name, file, chunks: [] };
        } else {
          part = { name, chunks: [] };
        }
        return true;
      }
      case "body": {
        const at = buffer.indexOf(delimiter);
        if (at < 0) {
          // Keep what could be the start of a delimiter split across chunks.
          const safe = Math.max(0, buffer.length - delimiter.length + 1);
          await emit(buffer.subarray(0, safe));
          buffer = buffer.subarray(safe);
          return false;
        }
        await emit(buffer.subarray(0, at));
        await finishPart();
        buffer = buffer.subarray(at + delimiter.length);
        phase = "after-delimiter";
        return true;
      }
      case "epilogue":
        buffer = Buffer.alloc(0);
        return false;
    }
  };

  // Events rather than an async iterator: leaving an iterator early destroys the request, and a refused form
  // must still be answered (the rest of the body is then drained or cut off by the error answer).
  await new Promise<void>((resolve, reject) => {
    let work = Promise.resolve();
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      source.off("data", onData);
      source.off("end", onEnd);
      source.off("close", onClose);
      source.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      source.pause();
      work = work
        .then(async () => {
          buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
          while (await step());
          if (!failed) source.resume();
        })
        .catch(fail);
    };
    const onEnd = () => {
      source.off("close", onClose);
      void work.then(() => (failed ? undefined : resolve()));
    };
    const onClose = () => {
      if (!source.readableEnded) fail(errors.incompleteBody());
    };
    source.on("data", onData);
    source.once("end", onEnd);
    source.once("close", onClose);
    source.once("error", fail);
  });
  if (phase !== "epilogue") throw errors.malformedPostRequest("The form ended before its closing boundary.");
  if (!sawFile) throw errors.invalidArgument("The body of your POST request is not well-formed multipart/form-data: no file field.", "file", "");
  return fields;
}

function parsePartHeaders(text: string): { name?: string; filename?: string; contentType?: string } {
  const result: { name?: string; filename?: string; contentType?: string } = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === "content-type") result.contentType = value;
    if (header !== "content-disposition") continue;
    for (const m of value.matchAll(/;\s*([a-zA-Z*]+)=(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
      const param = m[1]!.toLowerCase();
      const paramValue = (m[2] ?? m[3] ?? "").replace(/\\(.)/g, "$1").trim();
      if (param === "name") result.name = paramValue;
      if (param === "filename") result.filename = paramValue;
    }
  }
  return result;
}
