import { z } from "zod";

/** `repository:` — where backups and WAL live (fixed keys, see DESIGN.md). */
export const repositorySchema = z.strictObject({
  url: z.string().regex(/^(file:\/\/\/|s3:\/\/[^/]+)/, "a URL of the form file:///absolute/path or s3://bucket/prefix"),
  s3: z
    .strictObject({
      endpoint: z.url().optional(),
      region: z.string().min(1).prefault("us-east-1"),
      forcePathStyle: z.boolean().prefault(false),
    })
    .prefault({}),
});

/** `storage:` — how zops talks to the repository: time limits and retries for every operation. */
export const storageSchema = z
  .strictObject({
    timeoutSeconds: z.number().positive().prefault(60),
    retries: z.int().min(0).max(20).prefault(4),
    retryDelayMs: z.int().min(0).prefault(500),
  })
  .prefault({});
