// Import rules of zops (docs/architecture.md): the floors, the order of the domain areas, no cycles. `npm run lint`
// runs them (depcruise src tasks); every rule is an error. Type-only imports count: a type is a dependency too.

/** Floors, low to high. A module imports from its own floor or lower ones, never from a higher one. */
const FLOORS = [
  { name: "base", folders: ["errors", "fault", "fsio", "flow", "exec", "crypto", "compress", "ui"] },
  { name: "infrastructure", folders: ["config", "storage", "workers", "lock", "pg"] },
  { name: "repository format", folders: ["repo"] },
  {
    name: "domain areas",
    folders: ["backup", "wal", "restore", "verify", "expire", "drill", "uploads", "secrets", "check", "deploy", "report"],
  },
];

/**
 * The domain areas in order: each may use the published modules of the areas listed for it (never the other way
 * round, so there is no cycle between areas), and no other area.
 */
const AREA_USES = {
  wal: [],
  uploads: [],
  secrets: [],
  drill: ["backup", "wal"],
  backup: ["wal"],
  expire: ["backup", "wal"],
  restore: ["backup", "wal", "uploads", "secrets"],
  verify: ["backup", "wal"],
  check: ["backup", "drill", "verify", "wal"],
  deploy: ["backup"],
  report: ["backup", "drill", "deploy"],
};

/** What an area offers the others; everything else in its folder is internal to it. */
const PUBLISHED = {
  backup: ["manifest", "chains", "pieces", "piece-pool", "restorable", "scan-backups", "describe"],
  wal: ["catalog", "unfinished-segments"],
  uploads: ["catalog"],
  secrets: ["catalog"],
  drill: ["report"],
  verify: ["verify-wal"],
  deploy: ["paths"],
};

/** Modules of src/commands/ that are not commands: the machinery commands share. */
const COMMAND_SUPPORT = ["command", "exits", "load-config", "runner"];

const folderPath = (folders) => `^src/(${folders.join("|")})/`;
const TASKS = "^tasks/";
const COMMANDS = "^src/commands/";
const TOP = "^src/(cli\\.ts$|bin/)";
const floorPaths = [...FLOORS.map((floor) => folderPath(floor.folders)), TASKS, COMMANDS, TOP];
const floorNames = [...FLOORS.map((floor) => floor.name), "tasks", "commands", "cli and bin"];

const floorRules = floorPaths.slice(0, -1).map((path, index) => ({
  name: `floor-${index + 1}-looks-down`,
  comment: `the ${floorNames[index]} floor imports nothing from the floors above it (${floorNames
    .slice(index + 1)
    .join(", ")})`,
  severity: "error",
  from: { path },
  to: { path: floorPaths.slice(index + 1) },
}));

const areaRules = Object.entries(AREA_USES).map(([area, uses]) => ({
  name: `area-${area}-uses`,
  comment: `${area}/ uses ${uses.length ? uses.join(", ") : "no other area"} (the order of docs/architecture.md)`,
  severity: "error",
  from: { path: `^src/${area}/` },
  to: { path: folderPath(FLOORS[3].folders), pathNot: [`^src/(${[area, ...uses].join("|")})/`] },
}));

const publishedRule = {
  name: "area-internals",
  comment: "an area uses only what another area publishes (PUBLISHED in .dependency-cruiser.cjs)",
  severity: "error",
  from: { path: `^src/(${FLOORS[3].folders.join("|")})/` },
  to: {
    path: folderPath(FLOORS[3].folders),
    pathNot: [
      "^src/$1/",
      ...Object.entries(PUBLISHED).map(([area, modules]) => `^src/${area}/(${modules.join("|")})\\.ts$`),
    ],
  },
};

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "no import cycle",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "on-a-floor",
      comment: "every module of src/ lies on a floor: add a new folder to FLOORS and docs/architecture.md",
      severity: "error",
      from: { path: "^src/", pathNot: floorPaths },
      to: {},
    },
    ...floorRules,
    ...areaRules,
    publishedRule,
    {
      name: "task-folders-apart",
      comment: "a task folder imports no other task folder (shared parts live in tasks/*.ts)",
      severity: "error",
      from: { path: "^tasks/([^/]+)/" },
      to: { path: TASKS, pathNot: ["^tasks/$1/", "^tasks/[^/]+\\.ts$"] },
    },
    {
      name: "commands-apart",
      comment: "a command imports no other command (shared machinery: COMMAND_SUPPORT)",
      severity: "error",
      from: { path: COMMANDS },
      to: { path: COMMANDS, pathNot: [`^src/commands/(${COMMAND_SUPPORT.join("|")})\\.ts$`] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
