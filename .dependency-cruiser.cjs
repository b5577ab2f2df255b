/**
 * The layer check (issue 13): the table of docs/architecture.md "Layers", imports pointing down
 * only, for the layout of STYLE.md "Our layout". `npm run lint:layers` runs it on src/ and
 * workers/; so does `npm test` (test/unit/layers.test.ts), which also runs it on the fixture
 * tree test/fixtures/layers/ and checks that it reports the fixture's deliberate violations.
 *
 *   layer                              may import, besides its own folder
 *   src/protocol/                      nothing at all (no package, no runtime module)
 *   src/codec/                         src/protocol; no package or runtime module, except
 *                                      src/codec/kafka/compression.ts: node:zlib, snappyjs,
 *                                      lz4js, fzstd (Kafka's record-batch compression)
 *   src/log/                           src/protocol, src/codec; no package or runtime module (so
 *                                      never cloudflare:*, hono or @hono/*)
 *   src/config/                        src/protocol
 *   src/storage/                       src/protocol, src/codec, src/log
 *   src/partition/, src/coordinator/,  src/log, src/codec, src/storage, src/config, src/protocol,
 *   src/groups/                        migrations/*.sql, each other (DO stubs); never hono
 *   src/contract/                      src/protocol, src/codec (zod, @hono/zod-openapi are fine)
 *   src/services/                      src/partition, src/coordinator, src/groups, src/storage,
 *                                      src/log, src/codec, src/config, src/protocol; never hono
 *   src/api/, src/doors/<door>/        src/services, src/contract, src/codec, src/config,
 *                                      src/protocol (a door: not another door)
 *   src/client/                        src/protocol, src/codec, `import type` of src/contract;
 *                                      never hono, never cloudflare:*
 *   workers/                           anything
 *
 * Also: hono stays out of src/codec, src/config and src/storage too (it belongs to the doors and
 * the contract); src/ never imports workers/ or the tooling (test/, bench/, chaos/, scripts/);
 * every module of src/ sits in a folder of the table. Packages are matched wherever they
 * resolve (node_modules may be a symlink) and unresolved (`cloudflare:*` is never a file).
 *
 * Type-only imports count (tsPreCompilationDeps): a layer may not even name a type of a layer it
 * may not call. The one exception is the client's `import type` of the contract. It is told
 * apart by compiling with the project's tsconfig ("specify" marks what compilation drops):
 * under verbatimModuleSyntax `import { type X }` stays a side-effect import that loads the
 * module at run time, so only `import type` passes.
 *
 * No cycles between folders: a folder (src/<layer>/ or src/doors/<door>/ with its sub-folders,
 * or workers/) may not import one that imports it back, directly or through others, even where
 * no module cycle exists. Type-only imports count here too, so the DO folders' stubs of each
 * other must not go both ways.
 *
 * Paths are relative to the working directory, so the same rules check the fixture tree when
 * depcruise runs inside it.
 */
const { join } = require("node:path");

/** The first-level folders of src/ the table names (a door is src/doors/<door>/). */
const LAYERS = ["protocol", "codec", "log", "config", "storage", "partition", "coordinator"].concat(
  ["groups", "contract", "services", "api", "client"],
);

/** Our own code: a dependency on anything else is a package or a runtime module. */
const OURS = "^(src|workers|migrations|test|bench|chaos|scripts)/";
/** What the layer rules police; src/ into workers/ or the tooling has a rule of its own. */
const INTERNAL = "^(src|migrations)/";
const HONO = ["(^|/)node_modules/(hono|@hono/[^/]+)/", "^(hono|@hono/[^/]+)(/|$)"];
const DOORS_MAY_IMPORT = ["services", "contract", "codec", "config", "protocol"];
const DO_FOLDERS = ["partition", "coordinator", "groups"];
const SQL = { paths: ["^migrations/.+\\.sql$"], names: ["migrations/*.sql"] };
/** The one module of src/codec/ that may import packages: Kafka's compression codecs (issue 19). */
const KAFKA_COMPRESSION = "^src/codec/kafka/compression\\.ts$";
const KAFKA_CODEC_PACKAGES = ["node:zlib", "zlib", "snappyjs", "lz4js", "fzstd"];

const inSrc = (...folders) => `^src/(${folders.join("|")})/`;
const srcList = (folders) => folders.map((f) => `src/${f}/`).join(", ");

/** Of our own code, src/<folder>/ may import only itself, `folders` of src/ and `extra`. */
function layer(folder, folders, extra = { paths: [], names: [] }) {
  const allowed = [srcList(folders), ...extra.names];
  return {
    name: `${folder}-layer`,
    severity: "error",
    comment: `src/${folder}/ may import only ${allowed.join(", ")}`,
    from: { path: inSrc(folder) },
    to: { path: INTERNAL, pathNot: [inSrc(folder, ...folders), ...extra.paths] },
  };
}

/** src/<folders>/ may import no package or runtime module matching `path` (default: any). */
function noPackage(name, folders, comment, path) {
  const to = path === undefined ? { pathNot: OURS } : { path };
  return { name, severity: "error", comment, from: { path: inSrc(...folders) }, to };
}

module.exports = {
  forbidden: [
    {
      name: "protocol-imports-nothing",
      severity: "error",
      comment: "src/protocol/ is the bottom layer: it imports nothing outside src/protocol/",
      from: { path: inSrc("protocol") },
      to: { pathNot: inSrc("protocol") },
    },
    layer("codec", ["protocol"]),
    {
      ...noPackage("codec-no-package", ["codec"], "src/codec/ imports no package or runtime module"),
      from: { path: inSrc("codec"), pathNot: KAFKA_COMPRESSION },
    },
    {
      name: "codec-kafka-compression",
      severity: "error",
      comment: `${KAFKA_COMPRESSION} may import only the codecs of Kafka's record batches: ${KAFKA_CODEC_PACKAGES.join(", ")}`,
      from: { path: KAFKA_COMPRESSION },
      to: { pathNot: [OURS, ...KAFKA_CODEC_PACKAGES.map((p) => `(^|(^|/)node_modules/)${p}(/|$)`)] },
    },
    layer("log", ["protocol", "codec"]),
    noPackage(
      "log-no-package",
      ["log"],
      "src/log/ is the pure engine: no cloudflare:*, hono, @hono/*, or any package or runtime module",
    ),
    layer("config", ["protocol"]),
    layer("storage", ["protocol", "codec", "log"]),
    ...DO_FOLDERS.map((folder) =>
      layer(folder, ["log", "codec", "storage", "config", "protocol", ...DO_FOLDERS], SQL),
    ),
    layer("contract", ["protocol", "codec"]),
    layer("services", [...DO_FOLDERS, "storage", "log", "codec", "config", "protocol"]),
    layer("api", DOORS_MAY_IMPORT),
    {
      name: "doors-layer",
      severity: "error",
      comment: `a door (src/doors/<door>/) may import only itself, ${srcList(DOORS_MAY_IMPORT)}`,
      from: { path: "^src/doors/([^/]+)/" },
      to: { path: INTERNAL, pathNot: [inSrc(...DOORS_MAY_IMPORT), "^src/doors/$1/"] },
    },
    layer("client", ["protocol", "codec", "contract"]),
    {
      name: "client-contract-type-only",
      severity: "error",
      comment: "src/client/ may import src/contract/ only with `import type` (it loads no zod schema)",
      from: { path: inSrc("client") },
      to: { path: inSrc("contract"), preCompilationOnly: false },
    },
    noPackage(
      "no-hono-below-the-doors",
      ["codec", "config", "storage", ...DO_FOLDERS, "services", "client"],
      "hono and @hono/* belong to the front doors (src/api, src/doors) and src/contract",
      HONO,
    ),
    noPackage("client-no-cloudflare", ["client"], "the client runs anywhere: no cloudflare:*", [
      "^cloudflare:",
    ]),
    {
      name: "src-not-into-workers-or-tooling",
      severity: "error",
      comment: "src/ is imported by workers/ and the tooling, never the other way round",
      from: { path: "^src/" },
      to: { path: "^(workers|test|bench|chaos|scripts)/" },
    },
    {
      name: "src-folder-in-layer-table",
      severity: "error",
      comment: `every module of src/ is in a folder of the table: ${srcList(LAYERS)}, src/doors/<door>/`,
      from: { path: "^src/", pathNot: [inSrc(...LAYERS), "^src/doors/[^/]+/"] },
      to: {},
    },
    {
      name: "no-folder-cycles",
      severity: "error",
      scope: "folder",
      comment: "no cycle between folders (src/<layer>/, src/doors/<door>/, workers/): imports point down",
      from: { path: "^(src/doors/[^/]+|src/[^/]+|workers)" },
      to: { circular: true, pathNot: "^$1(/|$)" },
    },
  ],
  options: {
    tsPreCompilationDeps: "specify",
    tsConfig: { fileName: join(__dirname, "tsconfig.json") },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^test/fixtures/" },
    moduleSystems: ["es6"],
  },
};
