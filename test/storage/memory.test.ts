import { MemoryStorage } from "../../src/storage/memory.js";
import { runStorageContract } from "./contract.js";

runStorageContract("memory", async () => ({ storage: new MemoryStorage() }));
