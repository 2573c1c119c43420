import type { Connection } from 'mysql2/promise';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { hashPhpass, hashWpBcrypt } from '../../src/domain/passwords.ts';
import { DEFAULT_ALERT_CONFIG } from '../../src/monitoring/alert-config.ts';
import { WP_DEFAULT_ROLES } from './wp-roles.ts';

export interface DemoSize {
  users: number;
  courses: number;
  transactions: number;
  subscriptions: number;
  notifications: number;
  enrolments: number;
}

export const SIZES: Record<string, DemoSize> = {
  tiny: { users: 12, courses: 4, transactions: 300, subscriptions: 60, notifications: 40, enrolments: 200 },
  small: { users: 60, courses: 8, transactions: 3000, subscriptions: 400, notifications: 300, enrolments: 2000 },
  medium: { users: 2000, courses: 20, transactions: 100_000, subscriptions: 10_000, notifications: 5000, enrolments: 20_000 },
  bench: { users: 20_000, courses: 40, transactions: 1_000_000, subscriptions: 100_000, notifications: 50_000, enrolments: 100_000 },
};

/** Demo credentials, documented in the README. */
export const DEMO_PASSWORDS = { admin: 'demo-admin-password', manager: 'demo-manager-password', student: 'demo-password' };
export const DEMO_WEBHOOK_SECRET = 'demo-webhook-secret';
export const FIRST_COURSE_ID = 101;
/** User ids: 1 admin, 2 manager (editor), 3.. students. */
export const FIRST_STUDENT_ID = 3;

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Linus',
  'Margaret',
  'Ken',
  'Barbara',
  'Dennis',
  'Radia',
  'Tim',
  'Frances',
  'John',
  'Hedy',
  'Edsger',
  'Katherine',
  'Guido',
];
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Torvalds',
  'Hamilton',
  'Thompson',
  'Liskov',
  'Ritchie',
  'Perlman',
  'Berners-Lee',
  'Allen',
  'McCarthy',
  'Lamarr',
  'Dijkstra',
  'Johnson',
  'van Rossum',
];
const COURSES = [
  'WordPress for Beginners',
  'Advanced PHP Patterns',
  'Modern JavaScript',
  'SQL Performance Tuning',
  'Photography Basics',
  'Watercolour Painting',
  'Spanish A1',
  'Public Speaking',
  'Data Science with Python',
  'UX Writing',
  'Guitar for Adults',
  'Personal Finance',
  'Yoga at Home',
  'Digital Marketing',
  'Excel Mastery',
  'Creative Writing',
];

const sqlDate = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/** The plugin's options, PHP-serialized like update_option() stores them. */
export function demoOptions(prefix: string, size: DemoSize, siteUrl: string): [string, string][] {
  const mappings: Record<string, number[]> = {};
  for (let i = 0; i < size.courses; i++) mappings[String(900_001 + i)] = [FIRST_COURSE_ID + i];
  return [
    ['siteurl', siteUrl],
    ['home', siteUrl],
    ['blogname', 'SkyLearn Academy (demo)'],
    ['admin_email', 'admin@example.test'],
    ['timezone_string', 'America/New_York'],
    ['gmt_offset', ''],
    [`${prefix}user_roles`, phpSerialize(WP_DEFAULT_ROLES)],
    ['slbp_performance_config', phpSerialize({ cache_expiration: 3600, enable_background_processing: true, rate_limit_general: 100 })],
    [
      'slbp_backup_config',
      phpSerialize({
        enabled: true,
        schedule: 'daily',
        retention_days: 30,
        compression: true,
        daily_components: ['database', 'config'],
        weekly_components: ['database', 'files', 'config'],
        notifications: { email_on_completion: false, email_on_failure: true, webhook_url: '' },
        remote_storage: { enabled: false, type: 's3', credentials: [] },
      }),
    ],
    ['slbp_alert_config', phpSerialize(DEFAULT_ALERT_CONFIG)],
    ['slbp_session_handler', 'database'],
    ['slbp_health_check_ips', phpSerialize(['127.0.0.1'])],
    ['slbp_monitoring_ips', phpSerialize([])],
    [
      'slbp_payment_settings',
      phpSerialize({
        webhook_secret: DEMO_WEBHOOK_SECRET,
        lemon_squeezy_api_key: '',
        lemon_squeezy_store_id: '12345',
        lemon_squeezy_test_mode: true,
      }),
    ],
    ['slbp_course_mappings', phpSerialize(mappings)],
    ['slbp_instance_id', 'slbp_demo0000000000.00000000'],
  ];
}

async function insertRows(conn: Connection, table: string, cols: string[], rows: unknown[][], chunk = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    await conn.query(
      `INSERT INTO \`${table}\` (${cols.join(',')}) VALUES ${part.map(() => `(${cols.map(() => '?').join(',')})`).join(',')}`,
      part.flat(),
    );
  }
}

/** Rows fillDemoData writes for a size (enrolment rows depend on the data: counted as planned). */
export function demoRows(size: DemoSize): number {
  return size.users + size.courses + size.transactions + size.subscriptions + size.enrolments + size.notifications;
}

/** Generated rows per INSERT … SELECT over the SEQUENCE engine, so progress moves on big sizes. */
const CHUNK = 50_000;

/** Runs `sql(range)` over 1..count in chunks; `range` is a SEQUENCE table name such as seq_1_to_50000. */
async function generateRows(conn: Connection, count: number, sql: (range: string) => string, wrote: (rows: number) => void): Promise<void> {
  for (let from = 1; from <= count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK - 1);
    await conn.query(sql(`seq_${from}_to_${to}`));
    wrote(to - from + 1);
  }
}

/** SQL expressions over MariaDB's SEQUENCE engine (`seq`) for deterministic, uniform demo values. */
function generators(buyers: { first: number; count: number }, courses: number) {
  // Seeded RAND(n) is nearly periodic for consecutive seeds; an MD5 prefix is a uniform, repeatable [0,1).
  const rnd = (salt: number) => `(CONV(SUBSTR(MD5(CONCAT(seq, '-', ${salt})), 1, 8), 16, 10) / 4294967296)`;
  return {
    rnd,
    user: (salt: number) => `(${buyers.first} + FLOOR(${rnd(salt)} * ${buyers.count}))`,
    course: (salt: number) => `(${FIRST_COURSE_ID} + FLOOR(${rnd(salt)} * ${courses}))`,
    pickFrom: (salt: number, values: string[]) =>
      `ELT(1 + FLOOR(${rnd(salt)} * ${values.length}), ${values.map((v) => `'${v}'`).join(',')})`,
  };
}

/**
 * `size.transactions` transactions and `size.subscriptions` subscriptions spread over the buyers
 * `buyers.first`.. (two years of history, every status, three currencies), generated inside
 * MariaDB. Also used to give a real WordPress install bench-size billing tables.
 */
export async function fillBillingRows(
  conn: Connection,
  prefix: string,
  size: DemoSize,
  buyers: { first: number; count: number },
  say: (msg: string) => void = () => undefined,
  wrote: (rows: number) => void = () => undefined,
): Promise<void> {
  const t = (name: string) => `${prefix}${name}`;
  const generate = (count: number, sql: (range: string) => string) => generateRows(conn, count, sql, wrote);
  const { rnd, user, course, pickFrom } = generators(buyers, size.courses);
  say(`transactions (${size.transactions})`);
  const statuses = [...Array(14).fill('completed'), 'paid', 'refunded', 'refunded', 'failed', 'pending', 'cancelled'];
  await generate(
    size.transactions,
    (
      range,
    ) => `INSERT INTO \`${t('slbp_transactions')}\` (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, metadata, created_at, updated_at)
    SELECT u, CONCAT('LS-', 1000000 + seq), CONCAT('ls_ord_', seq), 'lemon_squeezy', amt, cur, st, c,
      JSON_OBJECT('source', 'demo', 'variant_id', 700000 + c, 'test_mode', FALSE), ts, ts
    FROM (SELECT seq, ${user(3)} AS u, ${pickFrom(5, ['19.00', '29.00', '49.00', '99.00', '149.00', '9.99'])} AS amt,
      ${pickFrom(13, ['USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'EUR', 'EUR', 'GBP', 'USD'])} AS cur,
      ${pickFrom(17, statuses)} AS st, ${course(23)} AS c,
      UTC_TIMESTAMP() - INTERVAL FLOOR(${rnd(19)} * 730 * 86400) SECOND AS ts
      FROM ${range}) g`,
  );

  say(`subscriptions (${size.subscriptions})`);
  const subStatuses = [
    ...Array(11).fill('active'),
    'on_trial',
    'trialing',
    'paused',
    'past_due',
    'unpaid',
    'cancelled',
    'cancelled',
    'expired',
    'expired',
  ];
  await generate(
    size.subscriptions,
    (
      range,
    ) => `INSERT INTO \`${t('slbp_subscriptions')}\` (user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, created_at, updated_at)
    SELECT u, CONCAT('ls_sub_', seq), 'lemon_squeezy', CONCAT('variant_', 1 + FLOOR(${rnd(29)} * 4)), st,
      CASE cyc WHEN 'yearly' THEN '290.00' WHEN 'weekly' THEN '5.00' ELSE ${pickFrom(41, ['19.00', '29.00', '39.00'])} END, cur, cyc,
      CASE WHEN st IN ('active', 'on_trial', 'trialing', 'past_due') THEN UTC_TIMESTAMP() + INTERVAL FLOOR(${rnd(43)} * 30 * 86400) SECOND END,
      CASE WHEN st = 'cancelled' THEN UTC_TIMESTAMP() + INTERVAL FLOOR(${rnd(47)} * 20 * 86400) SECOND
           WHEN st = 'expired' THEN ts + INTERVAL 30 DAY END,
      ts, ts
    FROM (SELECT seq, ${user(31)} AS u, ${pickFrom(37, subStatuses)} AS st,
      ${pickFrom(53, ['USD', 'USD', 'USD', 'EUR', 'GBP'])} AS cur,
      ${pickFrom(59, [...Array(14).fill('monthly'), 'yearly', 'yearly', 'yearly', 'yearly', 'yearly', 'weekly'])} AS cyc,
      UTC_TIMESTAMP() - INTERVAL FLOOR(${rnd(61)} * 700 * 86400) SECOND AS ts
      FROM ${range}) g`,
  );
}

/**
 * Fills a freshly created WordPress database with realistic demo data. Users are written from
 * Node (real password hashes); the bulk tables are generated inside MariaDB from its SEQUENCE
 * engine with a deterministic hash per row, so a million rows take seconds, not minutes.
 * `onRows` hears the rows written so far, of `demoRows(size)`.
 */
export async function fillDemoData(
  conn: Connection,
  prefix: string,
  size: DemoSize,
  opts: { siteUrl?: string; progress?: (msg: string) => void; onRows?: (done: number) => void } = {},
): Promise<void> {
  const say = opts.progress ?? (() => undefined);
  let rows = 0;
  const wrote = (n: number) => opts.onRows?.((rows += n));
  /** Runs `sql(range)` over 1..count in chunks; `range` is a SEQUENCE table name such as seq_1_to_50000. */
  const generate = (count: number, sql: (range: string) => string) => generateRows(conn, count, sql, wrote);
  const t = (name: string) => `${prefix}${name}`;
  await conn.query("SET time_zone = '+00:00'");
  const now = new Date();

  say('options');
  await insertRows(
    conn,
    t('options'),
    ['option_name', 'option_value', 'autoload'],
    demoOptions(prefix, size, opts.siteUrl ?? 'http://localhost:8080').map(([n, v]) => [n, v, 'yes']),
  );

  say(`users (${size.users})`);
  const users: unknown[][] = [];
  const meta: unknown[][] = [];
  const sharedHash = hashPhpass(DEMO_PASSWORDS.student);
  for (let id = 1; id <= size.users; id++) {
    const role = id === 1 ? 'administrator' : id === 2 ? 'editor' : 'subscriber';
    const login = id === 1 ? 'admin' : id === 2 ? 'manager' : `student${id - FIRST_STUDENT_ID + 1}`;
    const first = FIRST[id % FIRST.length]!;
    const last = LAST[(id * 7) % LAST.length]!;
    // Real hashes in every format WordPress has used; past 200 students one shared phpass hash keeps bench generation fast.
    const pass =
      id === 1
        ? hashWpBcrypt(DEMO_PASSWORDS.admin)
        : id === 2
          ? hashPhpass(DEMO_PASSWORDS.manager)
          : id < 200
            ? hashPhpass(DEMO_PASSWORDS.student)
            : sharedHash;
    const registered = new Date(now.getTime() - (800 - (id % 700)) * 86_400_000);
    users.push([id, login, pass, login, `${login}@example.test`, '', sqlDate(registered), '', 0, `${first} ${last}`]);
    meta.push(
      [id, `${prefix}capabilities`, phpSerialize({ [role]: true })],
      [id, `${prefix}user_level`, role === 'administrator' ? '10' : role === 'editor' ? '7' : '0'],
      [id, 'nickname', login],
      [id, 'first_name', first],
      [id, 'last_name', last],
    );
  }
  await insertRows(
    conn,
    t('users'),
    [
      'ID',
      'user_login',
      'user_pass',
      'user_nicename',
      'user_email',
      'user_url',
      'user_registered',
      'user_activation_key',
      'user_status',
      'display_name',
    ],
    users,
  );
  await insertRows(conn, t('usermeta'), ['user_id', 'meta_key', 'meta_value'], meta, 1000);
  wrote(size.users);

  say(`courses (${size.courses})`);
  const posts: unknown[][] = [];
  for (let i = 0; i < size.courses; i++) {
    const title = `${COURSES[i % COURSES.length]}${i >= COURSES.length ? ` ${Math.floor(i / COURSES.length) + 1}` : ''}`;
    const d = sqlDate(new Date(now.getTime() - (900 - i) * 86_400_000));
    posts.push([
      FIRST_COURSE_ID + i,
      1,
      d,
      d,
      `<p>${title}: lessons, quizzes and a certificate.</p>`,
      title,
      '',
      'publish',
      'closed',
      'closed',
      '',
      title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      '',
      '',
      d,
      d,
      '',
      0,
      `${opts.siteUrl ?? 'http://localhost:8080'}/?post_type=sfwd-courses&p=${FIRST_COURSE_ID + i}`,
      0,
      'sfwd-courses',
      '',
      0,
    ]);
  }
  await insertRows(
    conn,
    t('posts'),
    [
      'ID',
      'post_author',
      'post_date',
      'post_date_gmt',
      'post_content',
      'post_title',
      'post_excerpt',
      'post_status',
      'comment_status',
      'ping_status',
      'post_password',
      'post_name',
      'to_ping',
      'pinged',
      'post_modified',
      'post_modified_gmt',
      'post_content_filtered',
      'post_parent',
      'guid',
      'menu_order',
      'post_type',
      'post_mime_type',
      'comment_count',
    ],
    posts,
  );
  wrote(size.courses);

  const students = size.users - FIRST_STUDENT_ID + 1;
  await fillBillingRows(conn, prefix, size, { first: FIRST_STUDENT_ID, count: students }, say, wrote);
  const { rnd, user, pickFrom } = generators({ first: FIRST_STUDENT_ID, count: students }, size.courses);

  say(`enrolment logs (up to ${size.enrolments}) and LearnDash access meta`);
  await conn.query(`INSERT INTO \`${t('slbp_enrollment_logs')}\` (user_id, course_id, action, status, transaction_id, lms, notes, created_at)
    SELECT user_id, course_id, 'enrolled', 'success', transaction_id, 'learndash', 'Enrolled after payment', created_at
    FROM \`${t('slbp_transactions')}\` WHERE status IN ('completed', 'paid') AND course_id IS NOT NULL ORDER BY id LIMIT ${size.enrolments}`);
  await conn.query(`INSERT INTO \`${t('usermeta')}\` (user_id, meta_key, meta_value)
    SELECT user_id, CONCAT('course_', course_id, '_access_from'), UNIX_TIMESTAMP(MIN(created_at))
    FROM \`${t('slbp_enrollment_logs')}\` WHERE action = 'enrolled' GROUP BY user_id, course_id`);
  // slbp_enrollment_{course_id}: the plugin's PHP-serialized array, built with byte-exact lengths.
  await conn.query(`INSERT INTO \`${t('usermeta')}\` (user_id, meta_key, meta_value)
    SELECT user_id, CONCAT('slbp_enrollment_', course_id),
      CONCAT('a:6:{s:14:"transaction_id";s:', LENGTH(tx), ':"', tx, '";s:15:"subscription_id";s:0:"";s:13:"enrolled_date";s:19:"', d,
             '";s:6:"source";s:13:"lemon_squeezy";s:3:"lms";s:9:"learndash";s:8:"metadata";a:0:{}}')
    FROM (SELECT user_id, course_id, MIN(transaction_id) AS tx, DATE_FORMAT(MIN(created_at), '%Y-%m-%d %H:%i:%s') AS d
          FROM \`${t('slbp_enrollment_logs')}\` WHERE action = 'enrolled' GROUP BY user_id, course_id) e`);
  wrote(size.enrolments);

  say(`notifications (${size.notifications})`);
  await generate(
    size.notifications,
    (range) => `INSERT INTO \`${t('slbp_notifications')}\` (user_id, type, title, message, data, is_read, created_at)
    SELECT u, ty, CASE ty WHEN 'payment_success' THEN 'Payment received' WHEN 'subscription_renewal' THEN 'Subscription renews soon'
                          WHEN 'course_enrolled' THEN 'You are enrolled' ELSE 'Payment failed' END,
      CASE ty WHEN 'payment_failed' THEN 'We could not charge your card. Please update your payment method.' ELSE 'Thank you for learning with SkyLearn Academy.' END,
      NULL, ${rnd(67)} < 0.6, UTC_TIMESTAMP() - INTERVAL FLOOR(${rnd(71)} * 90 * 86400) SECOND
    FROM (SELECT seq, ${user(73)} AS u, ${pickFrom(79, ['payment_success', 'subscription_renewal', 'course_enrolled', 'payment_failed'])} AS ty FROM ${range}) g`,
  );
  say('done');
}
