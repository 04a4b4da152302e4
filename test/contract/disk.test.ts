// storages.DiskType passes the storage contract on a temporary folder, its signed URLs served by its own handler.
import { describe } from "vitest";
import { contractApp, diskTarget } from "./helpers.ts";
import { storageContract } from "./storage-contract.ts";

describe("storages.DiskType on a temporary folder", () => storageContract(diskTarget(contractApp("disk"), "storages.Files")));
