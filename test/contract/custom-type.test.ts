// A custom Type in an app (storages.NotesType, extending DiskStorage from "jit-elements" with methods of its own)
// passes the storage contract as its parent does, and its own methods work beside the inherited ones.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiskStorage, StorageError, type App } from "../../index.ts";
import type NotesStorage from "../fixtures/contract-apps/custom/storages/NotesType/index.ts";
import { contractApp, diskTarget } from "./helpers.ts";
import { storageContract, type StartedTarget } from "./storage-contract.ts";

const target = diskTarget(contractApp("custom"), "storages.Notes");

describe("storages.NotesType, a custom Type on DiskStorage", () => storageContract(target));

describe("storages.NotesType's own methods", () => {
  let started: StartedTarget;
  let app: App;
  let notes: NotesStorage;

  beforeAll(async () => {
    started = await target.start();
    app = await started.load();
    notes = app.getElement("storages.Notes") as NotesStorage;
  });

  afterAll(async () => {
    await app?.close();
    await started?.stop?.();
  });

  it("is a DiskStorage of its own class, with its chain and merged config", () => {
    expect(notes).toBeInstanceOf(DiskStorage);
    expect(notes.constructor.name).toBe("NotesStorage");
    expect(app.elements().find((e) => e.fullName === "storages.Notes")?.chain).toEqual(["storages.Notes", "storages.NotesType", "storages.DiskType", "storages.Meta"]);
    // The instance's notesFolder overrides the Type's; DiskType's defaults still apply.
    expect(notes.config).toMatchObject({ notesFolder: "team-notes/", serve: false, publicRead: false });
  });

  it("writes, reads and lists notes through the inherited methods", async () => {
    expect(await notes.writeNote("monday", "# Monday\n\nüber alles")).toBe("team-notes/monday.md");
    await notes.writeNote("tuesday", "# Tuesday");
    expect(await notes.readNote("monday")).toBe("# Monday\n\nüber alles");
    expect(await notes.getObject("team-notes/monday.md")).toMatchObject({ contentType: "text/markdown; charset=utf-8" });
    expect(await notes.titles()).toEqual(["monday", "tuesday"]);
  });

  it("fails as the official Type does, naming its own element and Type", async () => {
    const error = await notes.readNote("missing").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: "NoSuchKey", element: "storages.Notes", storageType: "storages.NotesType", operation: "download", objectName: "team-notes/missing.md" });
  });
});
