/**
 * A filter for progress lines: lets a line through when it differs from the last one shown or `intervalMs` passed
 * since then (`now` injectable); pure apart from its own state.
 */
export const throttleLines = (intervalMs: number, now: () => number = () => performance.now()) => {
  let lastText: string | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  return (key: string): boolean => {
    const at = now();
    if (key === lastText && at - lastAt < intervalMs) return false;
    lastText = key;
    lastAt = at;
    return true;
  };
};
