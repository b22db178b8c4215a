import { RULES } from './index.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');
const LEVEL = { error: 'error', warning: 'warn', info: 'info' } as const;

/** The markdown table of every rule in docs/lint-rules.md (a test keeps the file in step with RULES). */
export function rulesTable(): string {
  const rows = RULES.map((r) => `| \`${r.id}\` | ${LEVEL[r.defaultSeverity]} | **${cell(r.title)}.** ${cell(r.rationale)} | ${cell(r.fix)} |`);
  return ['| rule | default | rationale | fix |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
