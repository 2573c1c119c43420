import type { ImportSummary } from '../../src/domain/payments/plugin-import.ts';

/** The end-of-run report: one count line per record kind, then every problem by option (or meta) name. */
export function formatImportSummary(s: ImportSummary): string[] {
  const lines = [s.dry_run ? 'dry run: nothing was written; a real run would give:' : 'import finished:'];
  for (const kind of ['orders', 'subscriptions', 'enrolments'] as const) {
    const c = s[kind];
    lines.push(
      `  ${kind.padEnd(13)} imported ${c.imported}, already present ${c.already_present}, unmatched ${c.unmatched}, malformed ${c.malformed}`,
    );
  }
  for (const [title, list] of [
    ['unmatched', s.unmatched],
    ['malformed', s.malformed],
    ['warnings', s.warnings],
  ] as const) {
    if (!list.length) continue;
    lines.push(`${title}:`);
    for (const p of list) lines.push(`  ${p.source}: ${p.reason}`);
  }
  return lines;
}
