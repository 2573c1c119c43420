import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Database } from '../../data/database.ts';
import type { TasksRepository } from '../../data/payments/tasks-repository.ts';
import { exportPath, type ExportKind } from './data-export.ts';

/** Requests data exports and hands finished files to their owners only. */
export class ExportsService {
  constructor(
    private readonly db: Database,
    private readonly tasks: TasksRepository,
    private readonly dir: string,
  ) {}

  /** Queues a `data_export` task for the user; answers its id (the export's id). */
  request(userId: number, kind: ExportKind): Promise<number> {
    return this.tasks.enqueue(this.db.write, 'data_export', { user_id: userId, kind }, { priority: 20 });
  }

  /**
   * The export's state for its owner; null for anyone else and for unknown ids, so export ids
   * cannot be probed.
   */
  async find(id: number, userId: number): Promise<{ status: string; kind: string; file?: () => Readable; size?: number } | null> {
    const task = await this.tasks.get(this.db.write, id);
    if (!task || task.task_type !== 'data_export') return null;
    let data: { user_id?: unknown; kind?: unknown };
    try {
      data = JSON.parse(task.task_data);
    } catch {
      return null;
    }
    if (Number(data.user_id) !== userId) return null;
    const kind = String(data.kind ?? 'transactions');
    if (task.status !== 'completed') return { status: task.status, kind };
    const file = exportPath(this.dir, id);
    const info = await stat(file).catch(() => null);
    if (!info) return null;
    return { status: 'completed', kind, size: info.size, file: () => createReadStream(file) };
  }
}
