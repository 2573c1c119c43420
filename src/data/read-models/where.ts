/** Builds a parameterised WHERE clause from optional conditions; column names are code, never input. */
export class Where {
  private readonly parts: string[] = [];
  readonly params: unknown[] = [];

  /** Adds `sql` (with `?` placeholders) when `when` is true. */
  add(sql: string, params: unknown[] = [], when = true): this {
    if (!when) return this;
    this.parts.push(sql);
    this.params.push(...params);
    return this;
  }

  /** `col IN (?, ...)` for a non-empty list; an empty list adds nothing. */
  in(column: string, values: unknown[] | undefined): this {
    if (!values?.length) return this;
    return this.add(`${column} IN (${values.map(() => '?').join(',')})`, values);
  }

  get sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

export type SortOrder = 'asc' | 'desc';

/** ORDER BY with the id as tie-breaker, so page walks are stable and never repeat a row. */
export function orderBy(column: string, order: SortOrder): string {
  const dir = order === 'asc' ? 'ASC' : 'DESC';
  return column === 'id' ? `ORDER BY id ${dir}` : `ORDER BY ${column} ${dir}, id ${dir}`;
}
