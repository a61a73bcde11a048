/**
 * Compares release versions: dot-separated numeric parts compare as numbers ("1.10" > "1.9"), other parts as strings,
 * and a pre-release ("2.0.0-rc1") sorts before its release. Pure.
 */
export const compareVersions = (a: string, b: string): number => {
  const [mainA = "", preA] = splitPre(a);
  const [mainB = "", preB] = splitPre(b);
  const partsA = mainA.split(".");
  const partsB = mainB.split(".");
  for (let index = 0; index < Math.max(partsA.length, partsB.length); index += 1) {
    const order = comparePart(partsA[index] ?? "0", partsB[index] ?? "0");
    if (order !== 0) return order;
  }
  if (preA === preB) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  return comparePart(preA, preB);
};

const splitPre = (version: string): [string, string | undefined] => {
  const clean = version.replace(/\+.*$/, "");
  const dash = clean.indexOf("-");
  return dash < 0 ? [clean, undefined] : [clean.slice(0, dash), clean.slice(dash + 1)];
};

const comparePart = (a: string, b: string): number => {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) return Math.sign(Number(a) - Number(b));
  return a < b ? -1 : a > b ? 1 : 0;
};
