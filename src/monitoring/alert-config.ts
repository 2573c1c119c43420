import { z } from 'zod';

export const CONDITIONS = ['greater_than', 'less_than', 'equals', 'not_equals', 'greater_than_or_equal', 'less_than_or_equal'] as const;
export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;

const url = z.union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL or empty' })]);

/** One rule of `slbp_alert_config`, as the plugin stores it. */
export const alertRuleSchema = z
  .object({
    enabled: z.boolean(),
    metric: z.string().regex(/^[a-z_]+\.[a-z0-9_]+$/, 'must be a dotted metric name such as system.memory_usage'),
    condition: z.enum(CONDITIONS),
    threshold: z.number().finite(),
    severity: z.enum(SEVERITIES),
    // The plugin requires only enabled, metric, condition, threshold and severity; without a
    // message it notified an empty one, without a cooldown it had none.
    message: z.string().min(1).max(500).default('%s (threshold: %s)'),
    cooldown: z.number().int().min(0).max(604_800).default(0),
    email_recipients: z.array(z.email()).default([]),
    webhook_url: url.default(''),
    slack_webhook: url.default(''),
  })
  .strict();

export type AlertRule = z.infer<typeof alertRuleSchema>;
export type AlertConfig = Record<string, AlertRule>;

/**
 * The plugin's three built-in rules (SLBP_Monitoring_Manager::get_alert_config()), in force
 * while `slbp_alert_config` was never saved: shown by GET /alerts/config and evaluated.
 */
export const DEFAULT_ALERT_CONFIG: Readonly<AlertConfig> = Object.freeze({
  high_memory_usage: {
    enabled: true,
    metric: 'system.memory_usage',
    condition: 'greater_than',
    threshold: 536870912,
    severity: 'warning',
    message: 'High memory usage detected: %.2f bytes (threshold: %.2f bytes)',
    cooldown: 300,
    email_recipients: [],
    webhook_url: '',
    slack_webhook: '',
  },
  database_connection_failure: {
    enabled: true,
    metric: 'database.connections',
    condition: 'equals',
    threshold: 0,
    severity: 'critical',
    message: 'Database connection failure detected',
    cooldown: 60,
    email_recipients: [],
    webhook_url: '',
    slack_webhook: '',
  },
  high_failed_transactions: {
    enabled: true,
    metric: 'business.failed_transactions_1h',
    condition: 'greater_than',
    threshold: 10,
    severity: 'error',
    message: 'High number of failed transactions: %.0f in the last hour (threshold: %.0f)',
    cooldown: 600,
    email_recipients: [],
    webhook_url: '',
    slack_webhook: '',
  },
} satisfies AlertConfig);

/**
 * The rule map of a POST /alerts/config body: the plugin's body is the map itself; the wrapped
 * `{config: {...}}` form is accepted too (a body whose only key is `config` holding no rule fields).
 */
export function alertConfigBody(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const o = body as Record<string, unknown>;
  const keys = Object.keys(o);
  const inner = o.config;
  if (keys.length === 1 && keys[0] === 'config' && inner && typeof inner === 'object' && !Array.isArray(inner) && !('metric' in inner))
    return inner;
  return body;
}

export interface ConfigProblem {
  entry: string;
  field: string;
  message: string;
}

/**
 * Validates a whole configuration (POST replaces it). Returns the parsed config or every
 * problem, each naming its entry, so the 400 says which rule is wrong.
 */
export function parseAlertConfig(
  input: unknown,
  knownMetrics: ReadonlySet<string>,
): { config: AlertConfig } | { problems: ConfigProblem[] } {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    return { problems: [{ entry: '', field: 'config', message: 'must be an object of named alert rules' }] };
  const problems: ConfigProblem[] = [];
  const config: AlertConfig = {};
  for (const [entry, raw] of Object.entries(input as Record<string, unknown>)) {
    if (!/^[a-z0-9_]{1,100}$/.test(entry)) {
      problems.push({ entry, field: '', message: 'rule names are 1-100 lowercase letters, digits and underscores' });
      continue;
    }
    const r = alertRuleSchema.safeParse(raw);
    if (!r.success) {
      for (const issue of r.error.issues)
        problems.push({
          entry,
          field: issue.path.map(String).join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(',') : ''),
          message: issue.message,
        });
      continue;
    }
    if (!knownMetrics.has(r.data.metric)) {
      problems.push({ entry, field: 'metric', message: `unknown metric; known: ${[...knownMetrics].join(', ')}` });
      continue;
    }
    config[entry] = r.data;
  }
  return problems.length ? { problems } : { config };
}

/** Reads the stored option leniently: entries that do not validate are skipped (and reported). */
export function storedAlertConfig(
  raw: Record<string, unknown>,
  knownMetrics: ReadonlySet<string>,
): { config: AlertConfig; skipped: ConfigProblem[] } {
  const config: AlertConfig = {};
  const skipped: ConfigProblem[] = [];
  for (const [entry, value] of Object.entries(raw)) {
    const parsed = parseAlertConfig({ [entry]: normaliseStored(value) }, knownMetrics);
    if ('config' in parsed) Object.assign(config, parsed.config);
    else skipped.push(...parsed.problems);
  }
  return { config, skipped };
}

/** PHP stores booleans and numbers faithfully, but options edited by hand may hold strings. */
function normaliseStored(v: unknown): unknown {
  if (!v || typeof v !== 'object') return v;
  const o = { ...(v as Record<string, unknown>) };
  if (typeof o.enabled === 'string' || typeof o.enabled === 'number') o.enabled = ['1', 'true', 'yes', 1].includes(o.enabled as string);
  for (const k of ['threshold', 'cooldown']) if (typeof o[k] === 'string' && o[k] !== '') o[k] = Number(o[k]);
  for (const k of ['email_recipients']) if (o[k] && typeof o[k] === 'object' && !Array.isArray(o[k])) o[k] = Object.values(o[k] as object);
  return o;
}

/** Whether `value` meets the rule's condition. NaN (nothing measured yet) never does. */
export function conditionHolds(condition: AlertRule['condition'], value: number, threshold: number): boolean {
  if (Number.isNaN(value)) return false;
  switch (condition) {
    case 'greater_than':
      return value > threshold;
    case 'less_than':
      return value < threshold;
    case 'equals':
      return value === threshold;
    case 'not_equals':
      return value !== threshold;
    case 'greater_than_or_equal':
      return value >= threshold;
    case 'less_than_or_equal':
      return value <= threshold;
  }
}

/** PHP sprintf subset used by the plugin's messages: %.Nf, %f, %d, %s, %% with (value, threshold). */
export function formatAlertMessage(template: string, value: number, threshold: number): string {
  const args = [value, threshold];
  let i = 0;
  return template.replace(/%(%|(?:\.(\d+))?[fdFs])/g, (_m, spec: string, decimals?: string) => {
    if (spec === '%') return '%';
    const v = args[i++] ?? 0;
    if (spec.endsWith('d')) return String(Math.trunc(v));
    if (spec.endsWith('s')) return String(v);
    return v.toFixed(decimals === undefined ? 6 : Number(decimals));
  });
}
