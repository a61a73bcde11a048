import { isMap, isPair, isScalar, LineCounter, type Document, type Node } from "yaml";

/** Returns the 1-based line of the YAML node at `path` (or of its nearest existing parent). */
export const lineOf = (
  doc: Document,
  counter: LineCounter,
  path: readonly PropertyKey[],
  unknownKey?: string,
): number | undefined => {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = (depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true)) as
      | Node
      | null
      | undefined;
    if (!node || !("range" in node) || !node.range) continue;
    if (unknownKey !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === unknownKey);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return counter.linePos(range[0]).line;
    }
    return counter.linePos(node.range[0]).line;
  }
  return undefined;
};
