/** The literal text every match of an anchored regex starts with ('' when unknown). */
export function literalPrefix(source: string): string {
  if (source.includes('|')) return '';
  let out = '';
  for (let i = 1; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && /[.\/\-]/.test(source[i + 1] ?? '')) { out += source[++i]; continue; }
    if (!/[A-Za-z0-9_~\/:,=!@&-]/.test(c)) return c === '?' || c === '*' || c === '{' ? out.slice(0, -1) : out;
    out += c;
  }
  return out;
}
