/** Route names for a message: the first few quoted, then how many more (a 10,000-route spec must not print them all). */
export function nameList(names: string[], max = 5): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
