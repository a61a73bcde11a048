import { z } from "zod";

/** `deploy:` — where and how `zops upgrade` installs releases. */
export const deploySchema = z
  .strictObject({
    /** Holds `deployments/`, the `current`/`last`/`next` links, shared directories and the log. */
    root: z.string().startsWith("/", "an absolute path").prefault("/home/zulip"),
    /** Deployments to keep besides current, last and next. */
    keep: z.int().min(1).prefault(5),
  })
  .prefault({});
