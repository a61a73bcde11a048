import { z } from "zod";

/** `uploads:` — directories of user uploads archived as incremental snapshots. */
export const uploadsSchema = z
  .strictObject({
    paths: z.array(z.string().startsWith("/", "an absolute path")).prefault([]),
  })
  .prefault({});

/** `secrets:` — files archived encrypted to age recipients. */
export const secretsSchema = z
  .strictObject({
    paths: z.array(z.string().startsWith("/", "an absolute path")).prefault([]),
    recipients: z.array(z.string().startsWith("age1", "an age X25519 recipient (age1...)")).prefault([]),
  })
  .prefault({});
