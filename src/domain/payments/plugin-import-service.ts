import type { Database, Queryable } from '../../data/database.ts';
import type { PluginDataRepository } from '../../data/payments/plugin-data-repository.ts';
import type { TasksRepository } from '../../data/payments/tasks-repository.ts';
import type { ImportProgress, ImportSummary, PluginImporter } from './plugin-import.ts';

export const PLUGIN_IMPORT_TASK = 'plugin_import';
/** Problems kept in the stored summary; the counts stay exact, the CLI prints every one. */
const KEEP = 200;

export interface ImportTaskView {
  task_id: number;
  status: string;
  dry_run: boolean;
  progress: ImportProgress | null;
  summary: ImportSummary | null;
  error: string | null;
}

const trim = (s: ImportSummary): ImportSummary => ({
  ...s,
  unmatched: s.unmatched.slice(0, KEEP),
  malformed: s.malformed.slice(0, KEEP),
  warnings: s.warnings.slice(0, KEEP),
});

/**
 * The plugin-data import as a background task (`plugin_import`): queued by the admin route, run
 * by whichever node claims it; progress and the final summary live in the option
 * `_slbp_plugin_import_{task id}` so any node can answer GET /import/plugin-data/:taskId.
 */
export class PluginImportService {
  constructor(
    private readonly db: Database,
    private readonly tasks: TasksRepository,
    private readonly plugin: PluginDataRepository,
    private readonly importer: PluginImporter,
  ) {}

  async request(dryRun: boolean): Promise<number> {
    const id = await this.tasks.enqueue(this.db.write, PLUGIN_IMPORT_TASK, { dry_run: dryRun }, { priority: 20 });
    await this.plugin.saveProgress(this.db.write, id, JSON.stringify({ dry_run: dryRun, progress: null, summary: null }));
    return id;
  }

  /** The task handler. Records are written in their own transactions (the import is idempotent, so a retry resumes); the summary commits with the task. */
  async runTask(taskId: number, data: Record<string, unknown>, q: Queryable): Promise<void> {
    const dryRun = data.dry_run === true;
    let last = 0;
    let pending: Promise<unknown> = Promise.resolve();
    const summary = await this.importer.run({
      dryRun,
      onProgress: (p) => {
        // At most a write every half second: progress is for people watching, not an audit trail.
        if (Date.now() - last < 500 && p.done !== p.total) return;
        last = Date.now();
        const json = JSON.stringify({ dry_run: dryRun, progress: p, summary: null });
        pending = pending.then(() => this.plugin.saveProgress(this.db.write, taskId, json)).catch(() => undefined);
      },
    });
    await pending; // a late progress write must not land on top of the summary
    await this.plugin.saveProgress(q, taskId, JSON.stringify({ dry_run: dryRun, progress: null, summary: trim(summary) }));
  }

  async status(taskId: number): Promise<ImportTaskView | null> {
    const task = await this.tasks.get(this.db.write, taskId);
    if (!task || task.task_type !== PLUGIN_IMPORT_TASK) return null;
    const raw = await this.plugin.loadProgress(this.db.write, taskId);
    const stored = raw ? (JSON.parse(raw) as { dry_run: boolean; progress: ImportProgress | null; summary: ImportSummary | null }) : null;
    return {
      task_id: taskId,
      status: task.status,
      dry_run: stored?.dry_run ?? false,
      progress: stored?.summary ? null : (stored?.progress ?? null),
      summary: stored?.summary ?? null,
      error: task.error_message,
    };
  }
}
