import type { ListrTask } from "listr2";
import { ZopsError } from "../../src/errors/index.js";
import { MARKER_KEY } from "../../src/repo/layout.js";
import { openRepository, writeMarker, type RepositoryMarker } from "../../src/repo/repository.js";
import type { Storage } from "../../src/storage/storage.js";

/** Shared state of the `repo init` graph. */
export interface RepoInitContext {
  readonly storage: Storage;
  marker?: RepositoryMarker;
}

/** Refuses an existing zops repository (naming its format version) or any non-empty location; read-only. */
export const checkLocationTask = (): ListrTask<RepoInitContext> => ({
  title: "Check that the location is empty",
  task: async (ctx, task) => {
    const { storage } = ctx;
    if (await storage.stat(MARKER_KEY)) {
      const marker = await openRepository(storage).catch(() => undefined);
      throw new ZopsError(
        "PRECONDITION",
        `'${storage.location}' is already a zops ` +
          `repository${marker ? ` (format version ${marker.version}, created ${marker.createdAt})` : ""}; ` +
          `nothing was changed`,
        {
          hint: "use it as it is (`zops repo check` tests the endpoint), or point repository.url at a new location",
        },
      );
    }
    for await (const found of storage.list("")) {
      throw new ZopsError(
        "PRECONDITION",
        `'${storage.location}' is not empty and is not a zops repository (found '${found.key}'); nothing was changed`,
        {
          hint:
            "point repository.url at an empty directory or an unused bucket " +
            "prefix; zops never takes over a location holding other data",
        },
      );
    }
    task.title = `Location ${storage.location} is empty`;
  },
});

/** Writes the versioned marker; rollback removes it. */
export const writeMarkerTask = (): ListrTask<RepoInitContext> => ({
  title: `Write the repository marker ${MARKER_KEY}`,
  task: async (ctx) => {
    ctx.marker = await writeMarker(ctx.storage);
  },
  rollback: async (ctx) => {
    if (ctx.marker) await ctx.storage.delete([MARKER_KEY]);
  },
});
