import { z } from "zod";

/** `uploads:` — directories of user uploads archived as incremental, content-addressed snapshots. */
export const uploadsSchema = z
  .strictObject({
    paths: z.array(z.string().startsWith("/", "an absolute path")).prefault([]),
    /** Target size of a pack of small files (MiB of compressed data). */
    packSizeMiB: z.int().min(1).max(512).prefault(16),
    /** Files at least this large get their own object instead of going into a pack. */
    largeFileMiB: z.int().min(1).max(4096).prefault(8),
    compressLevel: z.int().min(1).max(19).prefault(3),
    /** Objects uploaded in parallel. */
    concurrency: z.int().min(1).max(64).prefault(4),
    /** Unreferenced packs younger than this, and runs whose marker is younger, are never garbage-collected. */
    gcGraceHours: z.number().min(0).prefault(24),
  })
  .prefault({});

/** `secrets:` — files archived encrypted to age recipients. */
export const secretsSchema = z
  .strictObject({
    paths: z.array(z.string().startsWith("/", "an absolute path")).prefault([]),
    recipients: z
      .array(
        z
          .string()
          .regex(
            /^age1[023456789acdefghjklmnpqrstuvwxyz]{58}$/,
            "an age X25519 recipient (age1 followed by 58 bech32 characters)",
          ),
      )
      .prefault([]),
  })
  .prefault({});
