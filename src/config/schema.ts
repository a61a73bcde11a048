import { z } from "zod";
import { backupSchema } from "./sections/backup.js";
import { deploySchema } from "./sections/deploy.js";
import { checkSchema, drillSchema } from "./sections/drill.js";
import { secretsSchema, uploadsSchema } from "./sections/files.js";
import { postgresSchema } from "./sections/postgres.js";
import { repositorySchema, storageSchema } from "./sections/repository.js";
import { walSchema } from "./sections/wal.js";

/** The whole zops.yml. Each section lives in `sections/`; unknown keys are errors everywhere. */
export const configSchema = z.strictObject({
  repository: repositorySchema,
  storage: storageSchema,
  postgres: postgresSchema,
  wal: walSchema,
  backup: backupSchema,
  uploads: uploadsSchema,
  secrets: secretsSchema,
  deploy: deploySchema,
  drill: drillSchema,
  check: checkSchema,
});

/** A validated configuration with every default filled in. */
export type ZopsConfig = z.output<typeof configSchema>;
/** What a zops.yml may contain (before defaults). */
export type ZopsConfigInput = z.input<typeof configSchema>;
