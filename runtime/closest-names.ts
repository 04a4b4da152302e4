// "Did you mean …?": the existing names nearest to a misspelt one.

/** Up to `limit` of `candidates` close enough to `name` to be what was meant, nearest first. */
export function closestNames(name: string, candidates: Iterable<string>, limit = 3): string[] {
  const wanted = name.toLowerCase();
  const scored: Array<[string, number]> = [];
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    const allowed = Math.max(2, Math.floor(Math.max(wanted.length, candidate.length) / 5));
    const sameTail = wanted.split(".").pop() === candidate.toLowerCase().split(".").pop();
    if (distance <= allowed || sameTail) scored.push([candidate, distance]);
  }
  scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  // Only the nearest few: a much worse match next to a good one is noise.
  const best = scored[0]?.[1] ?? 0;
  return scored
    .filter(([, distance]) => distance <= best + 1)
    .slice(0, limit)
    .map(([candidate]) => candidate);
}

/** ` Did you mean storages.OssType?` or an empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const names = closestNames(name, candidates);
  if (names.length === 0) return "";
  return ` Did you mean ${names.join(" or ")}?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length]!;
}
