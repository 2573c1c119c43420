import { readFile, stat } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where the WordPress site is known to be on this host (config.wordpress). */
export interface WordPressLocation {
  /** The wp-config.php read, absolute; empty when none was given. */
  configPath: string;
  /** A literal WP_CONTENT_DIR from it; empty when not set or not a literal. */
  contentDir: string;
}

const isDir = async (p: string) => (await stat(p).catch(() => null))?.isDirectory() === true;

/**
 * ABSPATH of the site: WordPress looks for wp-config.php in ABSPATH and, failing that, in its
 * parent (wp-load.php), so the site is the config's directory when it holds wp-settings.php, else
 * the one subdirectory of it that does. Null when neither is found.
 */
export function wordpressRoot(configPath: string): string | null {
  if (!configPath) return null;
  const dir = path.dirname(configPath);
  const has = (d: string) => statSync(path.join(d, 'wp-settings.php'), { throwIfNoEntry: false })?.isFile() === true;
  if (has(dir)) return dir;
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name));
  } catch {
    return null;
  }
  return entries.find(has) ?? null;
}

/**
 * The uploads directory: the configured one (SLBP_UPLOADS_DIR) when set, else as WordPress's
 * wp_upload_dir() finds it, each place tried in order until one exists: the `upload_path` option
 * (absolute, or relative to ABSPATH), WP_CONTENT_DIR/uploads, ABSPATH/wp-content/uploads. Answers
 * the directory or, when none exists, every place tried (for the error message).
 */
export async function findUploadsDir(
  configured: string,
  site: WordPressLocation,
  uploadPathOption: string,
): Promise<{ dir: string } | { tried: string[] }> {
  // A directory the operator configured is the one: never another one in its place.
  if (configured) return (await isDir(configured)) ? { dir: configured } : { tried: [configured] };
  const root = wordpressRoot(site.configPath);
  const candidates: string[] = [];
  const option = uploadPathOption.trim();
  if (option && option !== 'wp-content/uploads') {
    if (path.isAbsolute(option)) candidates.push(option);
    else if (root) candidates.push(path.join(root, option));
  }
  if (site.contentDir) candidates.push(path.join(site.contentDir, 'uploads'));
  if (root) candidates.push(path.join(root, 'wp-content', 'uploads'));
  for (const c of candidates) if (await isDir(c)) return { dir: c };
  return { tried: candidates };
}

/** `$wp_version` from ABSPATH/wp-includes/version.php (WordPress's own record of its version), or null. */
export async function wordpressVersionFile(site: WordPressLocation): Promise<string | null> {
  const root = wordpressRoot(site.configPath);
  if (!root) return null;
  const text = await readFile(path.join(root, 'wp-includes', 'version.php'), 'utf8').catch(() => null);
  return text ? (/\$wp_version\s*=\s*'([^']+)'/.exec(text)?.[1] ?? null) : null;
}
