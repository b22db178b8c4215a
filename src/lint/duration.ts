/** A millisecond count as the spec writes durations: "90s", "2m", "1500ms" (seconds up to 99, then the largest exact unit). */
export function humanDuration(ms: number): string {
  if (ms % 1000 === 0 && ms < 100_000) return `${ms / 1000}s`;
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
